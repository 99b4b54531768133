// Package powerloss cuts the power under hookbridge while a platform
// delivers to it, and counts what was answered 200 and is gone.
//
// A power cut is: SIGKILL every server process, then drop every write its
// disk had not fsynced, then start the servers again on the same store.
// The disk is internal/lazyfs, a FUSE filesystem served by the test process itself,
// which keeps unsynced writes in memory and throws them away on a cut.
// Every process runs on 127.0.0.1; no containers.
//
//	TestPowerLossEmbeddedSyncAlways  the embedded server, sync_always: true:
//	                                 nothing answered 200 may be lost
//	TestPowerLossEmbeddedDefault     the embedded server as shipped (lazy
//	                                 fsync): reports how many are lost
//	TestPowerLossCluster             three nats-servers, sync_interval: always,
//	                                 an R3 stream, all three cut at once:
//	                                 nothing answered 200 may be lost
//	TestPowerLossClusterDefault      the same cluster with the default lazy
//	                                 fsync: reports what is lost, or that the
//	                                 stream did not come back
//
// Run them alone with
//
//	go test -count=1 -v ./integration/powerloss
//
// or `make powerloss`. They need /dev/fuse and root to mount; elsewhere they
// skip with the reason, and with CI set that is a failure instead.
package powerloss
