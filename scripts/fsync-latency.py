#!/usr/bin/env python3
"""fdatasync latency of the disk under DIR, alone and beside a flush-like writer.

The floor under the store's commit latency (docs/PERFORMANCE.md): each
commit batch is one 4 KiB append + fdatasync of the log. With --beside-writer
a second thread meanwhile writes 64 MiB buffered and fsyncs it, every 0.5 s,
as fjall's memtable flush writes a table.

    python3 scripts/fsync-latency.py DIR [--count 3000] [--beside-writer]
"""
import argparse
import os
import threading
import time


def flush_like_writer(path, stop):
    chunk = os.urandom(1 << 20)
    while not stop.is_set():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            for _ in range(64):
                os.write(fd, chunk)
            os.fsync(fd)
        finally:
            os.close(fd)
        stop.wait(0.5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir")
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--beside-writer", action="store_true")
    args = parser.parse_args()
    log = os.path.join(args.dir, "fsync-latency.log")
    table = os.path.join(args.dir, "fsync-latency.table")
    stop = threading.Event()
    writer = None
    if args.beside_writer:
        writer = threading.Thread(target=flush_like_writer, args=(table, stop), daemon=True)
        writer.start()
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    latencies = []
    try:
        # Preallocated and synced first, so each fdatasync writes data only.
        os.write(fd, bytes(4096 * args.count))
        os.fsync(fd)
        os.lseek(fd, 0, os.SEEK_SET)
        block = os.urandom(4096)
        for _ in range(args.count):
            os.write(fd, block)
            start = time.perf_counter()
            os.fdatasync(fd)
            latencies.append((time.perf_counter() - start) * 1000)
    finally:
        stop.set()
        os.close(fd)
        if writer:
            writer.join()
        for path in (log, table):
            if os.path.exists(path):
                os.unlink(path)
    latencies.sort()

    def at(q):
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    label = "beside a 64 MiB writer" if args.beside_writer else "alone"
    print(
        f"fdatasync {label}: n={len(latencies)} p50={at(0.5):.2f} p90={at(0.9):.2f} "
        f"p99={at(0.99):.2f} p99.9={at(0.999):.2f} max={latencies[-1]:.2f} ms"
    )


if __name__ == "__main__":
    main()
