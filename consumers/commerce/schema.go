package commerce

import (
	"embed"
	"fmt"
)

//go:embed schema/*.json
var schemas embed.FS

// Schema is the JSON Schema (draft 2020-12) of an entity's data in the
// current major version: its $id is the URN in the events' dataschema.
func Schema(entity string) ([]byte, error) {
	b, err := schemas.ReadFile(fmt.Sprintf("schema/%s.v%d.json", entity, SchemaVersion))
	if err != nil {
		return nil, fmt.Errorf("no schema for entity %q", entity)
	}
	return b, nil
}
