"""CPython stand-in for MicroPython's ``machine`` module: Pin, and an I2C bus with one simulated
MPU6050 (the same register model and test pattern as ../host_wire.cpp) on the clock in simclock."""

from __future__ import annotations

import simclock


class Pin:
    def __init__(self, pin_id: int, *args, **kwargs) -> None:
        self.id = pin_id


def signal(k: int, channel: int) -> int:
    """Same pattern as sim::signal in ../host_arduino.cpp."""
    return ((k * (37 + 11 * channel) + 1000 * channel) % 20001) - 10000


class _Mpu6050:
    def __init__(self) -> None:
        self.regs = bytearray(128)
        self.regs[0x75] = 0x68
        self.regs[0x6B] = 0x40
        self.start_us: int | None = None
        self.last_read = -1
        self.latched = False

    def rate(self) -> float:
        dlpf = self.regs[0x1A] & 7
        return (8000.0 if dlpf in (0, 7) else 1000.0) / (1 + self.regs[0x19])

    def write(self, reg: int, value: int) -> None:
        self.regs[reg] = value
        if reg in (0x6B, 0x19, 0x1A):
            self.start_us = None if self.regs[0x6B] & 0x40 else simclock.now_us()
            self.last_read = -1

    def newest(self) -> int:
        if self.start_us is None:
            return -1
        return int((simclock.now_us() - self.start_us) * self.rate() / 1e6) - 1

    def refresh(self) -> None:
        k = self.newest()
        if k > self.last_read:
            self.last_read = k
            values = [signal(k, 0), signal(k, 1), signal(k, 2), 3400, signal(k, 3), signal(k, 4), signal(k, 5)]
            for i, v in enumerate(values):
                self.regs[0x3B + 2 * i : 0x3D + 2 * i] = (v & 0xFFFF).to_bytes(2, "big")
            self.latched = True
        self.regs[0x3A] = 1 if self.latched else 0

    def read(self, reg: int, n: int) -> bytes:
        if reg in (0x3A, 0x3B):
            self.refresh()
        out = bytes(self.regs[reg : reg + n])
        if reg == 0x3A:
            self.latched = False
        return out


class I2C:
    """Each transfer costs simulated time, as a 400 kHz bus does."""

    def __init__(self, bus_id: int, scl: Pin | None = None, sda: Pin | None = None, freq: int = 400000) -> None:
        self.mpu = _Mpu6050()
        simclock.DEVICES.append(self.mpu)

    def _check(self, addr: int) -> None:
        simclock.advance_us(60)
        if addr != 0x68:
            raise OSError(19, "ENODEV")

    def readfrom_mem(self, addr: int, reg: int, n: int) -> bytes:
        self._check(addr)
        return self.mpu.read(reg, n)

    def readfrom_mem_into(self, addr: int, reg: int, buf: bytearray) -> None:
        self._check(addr)
        buf[:] = self.mpu.read(reg, len(buf))

    def writeto_mem(self, addr: int, reg: int, data: bytes) -> None:
        self._check(addr)
        for i, b in enumerate(data):
            self.mpu.write(reg + i, b)
