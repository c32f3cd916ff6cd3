// Command gogzip prints the length of the gzip stream Go's compress/gzip writes for each file, the way
// `docker push` writes it (moby distribution/push.go compress(): io.Copy of the layer tar into
// gzip.NewWriter, default level 6, in front of a 32 KiB bufio.Writer). It records the sizes the unit tests
// compare our models with (__tests__/unit/go127-deflate.test.ts) and is the reference of bench/sizer.ts.
// Dev tool only: CI never runs Go.
//
//	GOROOT=/tmp/forky/go/usr/lib/go-1.27 /tmp/forky/go/usr/lib/go-1.27/bin/go run . [-chunk N] FILE...
//
// With -chunk N the file is written in Writes of N bytes instead of io.Copy's 32 KiB; the size does not
// depend on it (flate cuts blocks every 65535 bytes of input, whatever the Writes).
package main

import (
	"bufio"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
)

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func size(path string, chunk int) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var out counter
	buf := bufio.NewWriterSize(&out, 32768)
	zw := gzip.NewWriter(buf)
	if chunk > 0 {
		b := make([]byte, chunk)
		for {
			n, err := io.ReadFull(f, b)
			if n > 0 {
				if _, werr := zw.Write(b[:n]); werr != nil {
					return 0, werr
				}
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				break
			}
			if err != nil {
				return 0, err
			}
		}
	} else if _, err := io.Copy(zw, f); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	if err := buf.Flush(); err != nil {
		return 0, err
	}
	return out.n, nil
}

func main() {
	chunk := flag.Int("chunk", 0, "write in chunks of this many bytes (0: io.Copy)")
	flag.Parse()
	fmt.Fprintf(os.Stderr, "# %s\n", runtime.Version())
	for _, path := range flag.Args() {
		n, err := size(path, *chunk)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%d\t%s\n", n, path)
	}
}
