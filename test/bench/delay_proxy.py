#!/usr/bin/python3
"""delay_proxy.py — a TCP proxy that adds a fixed one-way delay, as
`tc netem delay` on a loopback would where netem is missing (this
machine's kernel has no sch_netem).

    delay_proxy.py LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS [READY_FILE]

Listens on 127.0.0.1:LISTEN_PORT; each connection is relayed to
TARGET_HOST:TARGET_PORT, and every chunk read from either side is written
to the other DELAY_MS after it was read, in order, with no limit on
throughput: a round trip costs 2 x DELAY_MS, as with netem on both ends of
a link.  TLS and the native protocol pass through untouched.  READY_FILE,
if given, is created once the proxy listens.  Stops on SIGTERM.
"""
import asyncio
import os
import signal
import sys
import time


async def relay(reader, writer, delay):
    """Copy reader to writer, each chunk delay seconds after it arrived."""
    queue = asyncio.Queue()

    async def pump():
        while True:
            data = await reader.read(65536)
            queue.put_nowait((time.monotonic() + delay, data))
            if not data:
                return

    async def drain():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    try:
        await asyncio.gather(pump(), drain())
    except (ConnectionError, OSError):
        pass


async def serve(listen_port, host, port, delay, ready):
    async def handle(client_reader, client_writer):
        try:
            owner_reader, owner_writer = await asyncio.open_connection(host, port)
        except OSError:
            client_writer.close()
            return
        try:
            await asyncio.gather(relay(client_reader, owner_writer, delay),
                                 relay(owner_reader, client_writer, delay))
        except asyncio.CancelledError:
            pass                # the proxy stops
        finally:
            for w in (client_writer, owner_writer):
                w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    if ready:
        open(ready, "w").close()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    listen_port, host, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    delay = float(sys.argv[4]) / 1000.0
    ready = sys.argv[5] if len(sys.argv) == 6 else None
    asyncio.run(serve(listen_port, host, port, delay, ready))


if __name__ == "__main__":
    main()
