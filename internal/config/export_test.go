package config

// Expand exposes the env expansion to the external tests and fuzz target.
var Expand = expand
