# MPU6050 over machine.I2C, raw registers: what edgehar sends is the sensor's own int16 counts.
import struct

ADDR = 0x68
_PWR_MGMT_1 = 0x6B
_SMPLRT_DIV = 0x19
_CONFIG = 0x1A
_GYRO_CONFIG = 0x1B
_ACCEL_CONFIG = 0x1C
_INT_ENABLE = 0x38
_INT_STATUS = 0x3A
_ACCEL_XOUT_H = 0x3B
_WHO_AM_I = 0x75

# +/-8 g and +/-500 dps, as the Arduino ESP32 sketch: HAR arm swings exceed the power-on defaults.
ACC_SCALE = 1.0 / 4096.0
GYR_SCALE = 1.0 / 65.5
ACC_RANGE = 8.0
GYR_RANGE = 500.0
RATE_MHZ = 100000


class MPU6050:
    def __init__(self, i2c, addr=ADDR):
        self.i2c = i2c
        self.addr = addr
        self._buf = bytearray(14)
        if i2c.readfrom_mem(addr, _WHO_AM_I, 1)[0] != 0x68:
            raise OSError("no MPU6050 at 0x%02x" % addr)
        for reg, value in (
            (_PWR_MGMT_1, 0x01),  # wake, X gyro PLL clock
            (_CONFIG, 0x03),  # DLPF 44 Hz: gyro output 1 kHz
            (_SMPLRT_DIV, 9),  # 1 kHz / 10 = 100 Hz
            (_GYRO_CONFIG, 0x08),  # +/-500 dps
            (_ACCEL_CONFIG, 0x10),  # +/-8 g
            (_INT_ENABLE, 0x01),  # DATA_RDY
        ):
            i2c.writeto_mem(addr, reg, bytes((value,)))

    def ready(self):
        """True once per new sample (reading INT_STATUS clears the flag)."""
        return self.i2c.readfrom_mem(self.addr, _INT_STATUS, 1)[0] & 0x01

    def read_raw(self):
        """(ax, ay, az, gx, gy, gz) int16 counts; the temperature in between is skipped."""
        self.i2c.readfrom_mem_into(self.addr, _ACCEL_XOUT_H, self._buf)
        v = struct.unpack(">7h", self._buf)
        return (v[0], v[1], v[2], v[4], v[5], v[6])
