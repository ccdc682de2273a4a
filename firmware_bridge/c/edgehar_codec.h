/*
 * edgehar wire protocol codec, version 1 (see ../PROTOCOL.md).
 *
 * C99, no dynamic allocation, no globals, no libc beyond memcpy/memset: it runs on a
 * microcontroller as it is and on the host for tests and fuzzing. Every buffer is the caller's.
 *
 * Conventions: functions that produce bytes return the number of bytes written (>= 0) or a
 * negative edgehar_status; decoders never read outside [ptr, ptr + len).
 */
#ifndef EDGEHAR_CODEC_H
#define EDGEHAR_CODEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EDGEHAR_PROTOCOL_VERSION 1u
#define EDGEHAR_TYPE_DATA 1u
#define EDGEHAR_TYPE_CONFIG 2u
#define EDGEHAR_TYPE_CONTROL 3u

#define EDGEHAR_OP_REQUEST_CONFIG 1u
#define EDGEHAR_OP_START 2u
#define EDGEHAR_OP_STOP 3u
#define EDGEHAR_OP_SET_SAMPLES_PER_FRAME 4u

#define EDGEHAR_HEADER_SIZE 8u
#define EDGEHAR_CONTROL_SIZE 3u
#define EDGEHAR_MAX_PAYLOAD 512u
#define EDGEHAR_MAX_CHANNELS 16u
#define EDGEHAR_MAX_NAME 31u
#define EDGEHAR_MAX_LABEL 15u
#define EDGEHAR_CRC_SIZE 2u
#define EDGEHAR_DATA_SIZE(n_samples, n_channels) (EDGEHAR_HEADER_SIZE + 2u * (n_samples) * (n_channels))
/* Longest COBS encoding of n bytes. */
#define EDGEHAR_COBS_MAX(n) ((n) + (n) / 254u + 1u)
/* Longest serial packet (COBS of payload + CRC, without the 0x00 delimiter): 517. */
#define EDGEHAR_SERIAL_MAX_PACKET EDGEHAR_COBS_MAX(EDGEHAR_MAX_PAYLOAD + EDGEHAR_CRC_SIZE)
/* Longest serial wire frame, delimiter included: size of a transmit buffer. */
#define EDGEHAR_SERIAL_MAX_WIRE (EDGEHAR_SERIAL_MAX_PACKET + 1u)

#define EDGEHAR_ATT_NOTIFY_OVERHEAD 3u
#define EDGEHAR_DEFAULT_SAMPLES_PER_FRAME 5u

/* BLE: the edgehar GATT service and the Nordic UART Service (PROTOCOL.md section 3). */
#define EDGEHAR_SERVICE_UUID "45000001-72be-4242-9c02-70a09c5f7734"
#define EDGEHAR_DATA_CHAR_UUID "45000002-72be-4242-9c02-70a09c5f7734"
#define EDGEHAR_CONFIG_CHAR_UUID "45000003-72be-4242-9c02-70a09c5f7734"
#define EDGEHAR_CONTROL_CHAR_UUID "45000004-72be-4242-9c02-70a09c5f7734"
#define EDGEHAR_NUS_SERVICE_UUID "6e400001-b5a3-f393-e0a9-e50e24dcca9e"
#define EDGEHAR_NUS_RX_UUID "6e400002-b5a3-f393-e0a9-e50e24dcca9e"
#define EDGEHAR_NUS_TX_UUID "6e400003-b5a3-f393-e0a9-e50e24dcca9e"

typedef enum {
    EDGEHAR_OK = 0,
    EDGEHAR_E_ARG = -1,      /* invalid argument given to an encoder */
    EDGEHAR_E_SPACE = -2,    /* output buffer too small */
    EDGEHAR_E_COBS = -3,     /* COBS code byte points past the packet, or a 0x00 inside it */
    EDGEHAR_E_SHORT = -4,    /* packet or frame shorter than its minimum */
    EDGEHAR_E_TOO_LONG = -5, /* packet or frame longer than any valid one */
    EDGEHAR_E_CRC = -6,      /* CRC mismatch */
    EDGEHAR_E_VERSION = -7,  /* protocol version other than 1 */
    EDGEHAR_E_TYPE = -8,     /* unknown frame type */
    EDGEHAR_E_LENGTH = -9    /* fields do not match the frame length */
} edgehar_status;

/* Short name of a status ("ok", "crc", ...), the same words the Python decoder counts. */
const char *edgehar_status_name(int status);

/* ---- CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, xorout 0, check 0x29B1 ---- */
#define EDGEHAR_CRC16_INIT 0xFFFFu
uint16_t edgehar_crc16_update(uint16_t crc, const uint8_t *data, size_t len);
uint16_t edgehar_crc16(const uint8_t *data, size_t len);

/* ---- COBS ---- */
/* Encodes len bytes; returns the encoded length (no delimiter) or EDGEHAR_E_SPACE. */
int edgehar_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);
/* Decodes a packet without its delimiter; out may equal in (in-place). Returns the decoded length. */
int edgehar_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

/* ---- Encoding frames ---- */
/* samples: n_samples * n_channels values, channel-interleaved. */
int edgehar_encode_data(uint8_t *out, size_t cap, uint16_t seq, uint32_t t0_us,
                        const int16_t *samples, uint8_t n_samples, uint8_t n_channels);

typedef struct {
    const char *label; /* NUL-terminated, <= 15 bytes, e.g. "acc_x" */
    const char *unit;  /* NUL-terminated, <= 15 bytes, e.g. "g", "deg/s" */
    float scale;       /* physical units per LSB, > 0 */
    float range;       /* sensor full scale +/- in physical units, > 0 */
} edgehar_channel;

typedef struct {
    uint32_t rate_mhz;         /* nominal sample rate in millihertz, > 0 */
    uint8_t samples_per_frame; /* what the device sends now */
    uint8_t flags;             /* 0 in version 1 */
    const char *device_name;   /* NUL-terminated, <= 31 bytes */
    const char *firmware;      /* NUL-terminated, <= 31 bytes */
    const edgehar_channel *channels;
    uint8_t n_channels; /* 1..16 */
} edgehar_config;

int edgehar_encode_config(uint8_t *out, size_t cap, const edgehar_config *cfg);
int edgehar_encode_control(uint8_t *out, size_t cap, uint8_t opcode, uint8_t arg);

/* ---- Decoding frames: views into the caller's payload, valid while it is ---- */
typedef struct {
    const uint8_t *ptr; /* not NUL-terminated */
    uint8_t len;
} edgehar_str;

typedef struct {
    uint16_t seq;
    uint32_t t0_us;
    uint8_t n_samples;
    uint8_t n_channels;
    const uint8_t *sample_bytes; /* n_samples * n_channels int16 LE, possibly unaligned */
} edgehar_data_view;

typedef struct {
    edgehar_str label;
    edgehar_str unit;
    float scale;
    float range;
} edgehar_channel_view;

typedef struct {
    uint32_t rate_mhz;
    uint8_t n_channels;
    uint8_t samples_per_frame;
    uint8_t flags;
    edgehar_str device_name;
    edgehar_str firmware;
    edgehar_channel_view channels[EDGEHAR_MAX_CHANNELS];
} edgehar_config_view;

typedef struct {
    uint8_t opcode;
    uint8_t arg;
} edgehar_control_view;

typedef struct {
    uint8_t type; /* EDGEHAR_TYPE_* */
    union {
        edgehar_data_view data;
        edgehar_config_view config;
        edgehar_control_view control;
    } u;
} edgehar_frame;

/* channels: channel count DATA frames must have (from the last CONFIG), or 0 to infer it. */
int edgehar_decode_frame(const uint8_t *payload, size_t len, uint8_t channels, edgehar_frame *out);
/* Raw value of one sample/channel of a decoded DATA frame (indices are not range-checked). */
int16_t edgehar_data_sample(const edgehar_data_view *view, unsigned sample, unsigned channel);

/* ---- Serial transport: COBS(payload + crc16_le) + 0x00 ---- */
/* Returns the wire length including the delimiter. */
int edgehar_serial_wrap(const uint8_t *payload, size_t len, uint8_t *out, size_t cap);
/* Decodes one packet (without delimiter) in place and checks its CRC; returns the payload length. */
int edgehar_serial_unwrap(uint8_t *packet, size_t len);

/* Byte-at-a-time receiver for a UART/USB serial link. */
typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    uint8_t discarding; /* inside an over-long packet, waiting for its delimiter */
    uint8_t ready;      /* buf holds a payload returned by the previous push */
    uint32_t packets;   /* good payloads delivered */
    uint32_t corrupt;   /* packets dropped: COBS, short, too long, CRC */
    uint32_t bad_crc;   /* of which CRC mismatches */
} edgehar_stream;

/* buf should hold EDGEHAR_SERIAL_MAX_PACKET bytes; a smaller one limits the frame size. */
void edgehar_stream_init(edgehar_stream *s, uint8_t *buf, size_t cap);
/*
 * Feed one received byte. Returns > 0: a CRC-checked payload of that length is at s->buf (valid
 * until the next push); 0: nothing yet; < 0: a packet was dropped (the status says why).
 */
int edgehar_stream_push(edgehar_stream *s, uint8_t byte);

/* ---- BLE sizing: min(preferred, (att_mtu - 3 - 8) / (2 * n_channels), 255), 0 if nothing fits ---- */
uint8_t edgehar_samples_per_notification(uint16_t att_mtu, uint8_t n_channels, uint8_t preferred);

/* ---- Device side: collects samples into DATA frames ---- */
typedef struct {
    int16_t *buf;       /* caller's storage, buf_len values */
    size_t buf_len;
    uint8_t n_channels;
    uint8_t target;     /* samples per frame */
    uint8_t count;      /* samples collected */
    uint16_t seq;       /* of the next frame */
    uint32_t t0_us;     /* time of the first collected sample */
} edgehar_batcher;

/* Fails with EDGEHAR_E_ARG when buf cannot hold target * n_channels values. */
int edgehar_batcher_init(edgehar_batcher *b, int16_t *buf, size_t buf_len, uint8_t n_channels, uint8_t target);
/* Changes the samples per frame (e.g. after an MTU change); returns 1 if a frame is already full. */
int edgehar_batcher_set_target(edgehar_batcher *b, uint8_t target);
/* Adds one sample (n_channels values) taken at t_us; returns 1 when the frame is full, else 0. */
int edgehar_batcher_add(edgehar_batcher *b, uint32_t t_us, const int16_t *sample);
/* Encodes the collected samples as a DATA frame, advances seq, empties the batch; returns its length. */
int edgehar_batcher_take(edgehar_batcher *b, uint8_t *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* EDGEHAR_CODEC_H */
