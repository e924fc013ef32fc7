"""A pymodbus TCP server holding the given register values, for the Modbus benchmark.

usage: pymodbus_server.py PORT VALUES_FILE [START]
VALUES_FILE: comma-separated register values, served from address START (default 0).
Prints "ready" once it listens.
"""
import asyncio
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import StartAsyncTcpServer


def main() -> None:
    port = int(sys.argv[1])
    values = [int(v) for v in open(sys.argv[2]).read().split(",") if v]
    start = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    # pymodbus datastores address from 1 unless told otherwise: one pad value first.
    block = ModbusSequentialDataBlock(start, [0] + values + [0] * 8)
    try:
        from pymodbus.datastore import ModbusSlaveContext as Context
    except ImportError:  # newer pymodbus
        from pymodbus.datastore import ModbusDeviceContext as Context
    context = ModbusServerContext(Context(hr=block, ir=block), single=True)

    async def run():
        print("ready", flush=True)
        await StartAsyncTcpServer(context=context, address=("127.0.0.1", port))

    asyncio.run(run())


if __name__ == "__main__":
    main()
