// Command etcd is etcd's own server entry point. The etcd server module's go.mod replaces its
// sibling modules with relative paths, so it is built through this module instead of go install.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
