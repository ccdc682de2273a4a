# Streams an MPU6050 as edgehar frames over a byte stream (USB serial by default).
# Time, the sensor and the output are passed in, so the same loop runs on the board and in tests.
import edgehar_frames as ef
import mpu6050

CHANNELS = (
    ("acc_x", "g", mpu6050.ACC_SCALE, mpu6050.ACC_RANGE),
    ("acc_y", "g", mpu6050.ACC_SCALE, mpu6050.ACC_RANGE),
    ("acc_z", "g", mpu6050.ACC_SCALE, mpu6050.ACC_RANGE),
    ("gyr_x", "deg/s", mpu6050.GYR_SCALE, mpu6050.GYR_RANGE),
    ("gyr_y", "deg/s", mpu6050.GYR_SCALE, mpu6050.GYR_RANGE),
    ("gyr_z", "deg/s", mpu6050.GYR_SCALE, mpu6050.GYR_RANGE),
)
SAMPLES_PER_FRAME = 5
# This version only sends (the REPL owns USB input), so a host that opens the port late learns the
# stream from a CONFIG frame repeated every few seconds.
CONFIG_EVERY_US = 5000000


def stream(sensor, write, ticks_us, ticks_diff, name="edgehar-mpy", firmware="micropython-mpu6050 1.0.0"):
    """Never returns. ticks_us wraps (2^30 on most ports): device time is accumulated into 32 bits."""
    config = ef.serial_wrap(ef.config_frame(mpu6050.RATE_MHZ, SAMPLES_PER_FRAME, name, firmware, CHANNELS))
    write(b"\x00" + config)
    last = ticks_us()
    device_us = 0
    since_config = 0
    seq = 0
    batch = []
    t0 = 0
    while True:
        if not sensor.ready():
            continue
        now = ticks_us()
        step = ticks_diff(now, last)
        last = now
        device_us = (device_us + step) & 0xFFFFFFFF
        since_config += step
        if not batch:
            t0 = device_us
        batch.extend(sensor.read_raw())
        if len(batch) >= SAMPLES_PER_FRAME * len(CHANNELS):
            write(ef.serial_wrap(ef.data_frame(seq, t0, batch, len(CHANNELS))))
            seq = (seq + 1) & 0xFFFF
            batch = []
            if since_config >= CONFIG_EVERY_US:
                write(config)
                since_config = 0
