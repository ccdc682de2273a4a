/* edgehar wire protocol codec, version 1: see edgehar_codec.h and ../PROTOCOL.md. */
#include "edgehar_codec.h"

#include <string.h>

/* The config encoding copies float bits into a u32: both must be 32 bits wide. */
typedef char edgehar_float_is_32_bits[(sizeof(float) == sizeof(uint32_t)) ? 1 : -1];

const char *edgehar_status_name(int status) {
    switch (status) {
    case EDGEHAR_OK: return "ok";
    case EDGEHAR_E_ARG: return "arg";
    case EDGEHAR_E_SPACE: return "space";
    case EDGEHAR_E_COBS: return "cobs";
    case EDGEHAR_E_SHORT: return "short";
    case EDGEHAR_E_TOO_LONG: return "too_long";
    case EDGEHAR_E_CRC: return "crc";
    case EDGEHAR_E_VERSION: return "version";
    case EDGEHAR_E_TYPE: return "type";
    case EDGEHAR_E_LENGTH: return "length";
    default: return "unknown";
    }
}

/* ---- little-endian helpers ---- */
static void put_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)((v >> 8) & 0xFFu);
    p[2] = (uint8_t)((v >> 16) & 0xFFu);
    p[3] = (uint8_t)(v >> 24);
}

static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | ((uint16_t)p[1] << 8)); }

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void put_f32(uint8_t *p, float v) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_u32(p, bits);
}

static float get_f32(const uint8_t *p) {
    uint32_t bits = get_u32(p);
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* finite and > 0, without <math.h> (not every MCU libc has isfinite for float). */
static int positive_finite(float v) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    if ((bits & 0x7F800000u) == 0x7F800000u) return 0; /* inf or NaN */
    return v > 0.0f;
}

/* ---- CRC-16/CCITT-FALSE, bitwise: 30 bytes of code instead of a 512-byte table on the MCU ---- */
uint16_t edgehar_crc16_update(uint16_t crc, const uint8_t *data, size_t len) {
    uint32_t c = crc;
    size_t i;
    for (i = 0; i < len; ++i) {
        int bit;
        c ^= (uint32_t)data[i] << 8;
        for (bit = 0; bit < 8; ++bit) c = (c & 0x8000u) ? ((c << 1) ^ 0x1021u) : (c << 1);
        c &= 0xFFFFu;
    }
    return (uint16_t)c;
}

uint16_t edgehar_crc16(const uint8_t *data, size_t len) {
    return edgehar_crc16_update(EDGEHAR_CRC16_INIT, data, len);
}

/* ---- COBS ---- */
/* Incremental COBS encoder, so a payload and its CRC are encoded in one pass without a copy. */
typedef struct {
    uint8_t *out;
    size_t cap;
    size_t write;
    size_t code_at;
    uint8_t code;
    int overflow;
} cobs_writer;

static void cobs_begin(cobs_writer *w, uint8_t *out, size_t cap) {
    w->out = out;
    w->cap = cap;
    w->write = 1;
    w->code_at = 0;
    w->code = 1;
    w->overflow = cap < 1u;
}

static void cobs_close_block(cobs_writer *w) {
    w->out[w->code_at] = w->code;
    w->code = 1;
    w->code_at = w->write++;
    if (w->write > w->cap) w->overflow = 1;
}

static void cobs_put(cobs_writer *w, uint8_t byte) {
    if (w->overflow) return;
    if (byte == 0) {
        cobs_close_block(w);
        return;
    }
    if (w->write >= w->cap) {
        w->overflow = 1;
        return;
    }
    w->out[w->write++] = byte;
    if (++w->code == 0xFF) cobs_close_block(w);
}

static int cobs_end(cobs_writer *w) {
    if (w->overflow) return EDGEHAR_E_SPACE;
    w->out[w->code_at] = w->code;
    return (int)w->write;
}

int edgehar_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap) {
    cobs_writer w;
    size_t i;
    if (len > (size_t)0x7FFF0000u) return EDGEHAR_E_SPACE;
    cobs_begin(&w, out, cap);
    for (i = 0; i < len && !w.overflow; ++i) cobs_put(&w, in[i]);
    return cobs_end(&w);
}

int edgehar_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap) {
    size_t read = 0, write = 0;
    if (len > (size_t)0x7FFF0000u) return EDGEHAR_E_TOO_LONG;
    while (read < len) {
        uint8_t code = in[read];
        size_t i;
        if (code == 0 || read + code > len) return EDGEHAR_E_COBS;
        ++read;
        /* read >= write + 1 throughout, so in-place decoding never overwrites unread input. */
        for (i = 1; i < code; ++i) {
            uint8_t byte = in[read++];
            if (byte == 0) return EDGEHAR_E_COBS;
            if (write >= cap) return EDGEHAR_E_SPACE;
            out[write++] = byte;
        }
        if (code != 0xFF && read < len) {
            if (write >= cap) return EDGEHAR_E_SPACE;
            out[write++] = 0;
        }
    }
    return (int)write;
}

/* ---- encoding frames ---- */
static uint8_t ver_type(unsigned type) { return (uint8_t)((EDGEHAR_PROTOCOL_VERSION << 4) | type); }

int edgehar_encode_data(uint8_t *out, size_t cap, uint16_t seq, uint32_t t0_us,
                        const int16_t *samples, uint8_t n_samples, uint8_t n_channels) {
    size_t len, i, count;
    if (n_samples == 0 || n_channels == 0 || n_channels > EDGEHAR_MAX_CHANNELS || samples == NULL) return EDGEHAR_E_ARG;
    count = (size_t)n_samples * n_channels;
    len = EDGEHAR_HEADER_SIZE + 2u * count;
    if (len > EDGEHAR_MAX_PAYLOAD) return EDGEHAR_E_ARG;
    if (out == NULL || cap < len) return EDGEHAR_E_SPACE;
    out[0] = ver_type(EDGEHAR_TYPE_DATA);
    out[1] = n_samples;
    put_u16(out + 2, seq);
    put_u32(out + 4, t0_us);
    for (i = 0; i < count; ++i) put_u16(out + EDGEHAR_HEADER_SIZE + 2u * i, (uint16_t)samples[i]);
    return (int)len;
}

/* Appends a length-prefixed string; returns the new position or 0 on failure. */
static size_t put_str(uint8_t *out, size_t cap, size_t pos, const char *s, size_t limit, int *status) {
    size_t n;
    if (s == NULL) {
        *status = EDGEHAR_E_ARG;
        return 0;
    }
    n = strlen(s);
    if (n > limit) {
        *status = EDGEHAR_E_ARG;
        return 0;
    }
    if (pos + 1u + n > cap) {
        *status = EDGEHAR_E_SPACE;
        return 0;
    }
    out[pos] = (uint8_t)n;
    memcpy(out + pos + 1, s, n);
    return pos + 1u + n;
}

int edgehar_encode_config(uint8_t *out, size_t cap, const edgehar_config *cfg) {
    size_t pos;
    unsigned i;
    int status = EDGEHAR_OK;
    if (cfg == NULL || cfg->n_channels == 0 || cfg->n_channels > EDGEHAR_MAX_CHANNELS || cfg->channels == NULL ||
        cfg->rate_mhz == 0)
        return EDGEHAR_E_ARG;
    if (cap > EDGEHAR_MAX_PAYLOAD) cap = EDGEHAR_MAX_PAYLOAD; /* longer would be an invalid frame */
    if (out == NULL || cap < 8u) return EDGEHAR_E_SPACE;
    out[0] = ver_type(EDGEHAR_TYPE_CONFIG);
    out[1] = cfg->n_channels;
    out[2] = cfg->samples_per_frame;
    out[3] = cfg->flags;
    put_u32(out + 4, cfg->rate_mhz);
    pos = 8;
    pos = put_str(out, cap, pos, cfg->device_name, EDGEHAR_MAX_NAME, &status);
    if (pos) pos = put_str(out, cap, pos, cfg->firmware, EDGEHAR_MAX_NAME, &status);
    for (i = 0; pos && i < cfg->n_channels; ++i) {
        const edgehar_channel *ch = &cfg->channels[i];
        if (!positive_finite(ch->scale) || !positive_finite(ch->range)) return EDGEHAR_E_ARG;
        pos = put_str(out, cap, pos, ch->label, EDGEHAR_MAX_LABEL, &status);
        if (pos) pos = put_str(out, cap, pos, ch->unit, EDGEHAR_MAX_LABEL, &status);
        if (pos && pos + 8u > cap) {
            status = EDGEHAR_E_SPACE;
            pos = 0;
        }
        if (pos) {
            put_f32(out + pos, ch->scale);
            put_f32(out + pos + 4, ch->range);
            pos += 8u;
        }
    }
    if (!pos) return status;
    return (int)pos;
}

int edgehar_encode_control(uint8_t *out, size_t cap, uint8_t opcode, uint8_t arg) {
    if (out == NULL || cap < EDGEHAR_CONTROL_SIZE) return EDGEHAR_E_SPACE;
    out[0] = ver_type(EDGEHAR_TYPE_CONTROL);
    out[1] = opcode;
    out[2] = arg;
    return (int)EDGEHAR_CONTROL_SIZE;
}

/* ---- decoding frames ---- */
static int decode_data(const uint8_t *p, size_t len, uint8_t channels, edgehar_data_view *v) {
    size_t body, per_channel;
    if (len < EDGEHAR_HEADER_SIZE) return EDGEHAR_E_LENGTH;
    v->n_samples = p[1];
    v->seq = get_u16(p + 2);
    v->t0_us = get_u32(p + 4);
    v->sample_bytes = p + EDGEHAR_HEADER_SIZE;
    if (v->n_samples == 0) return EDGEHAR_E_LENGTH;
    body = len - EDGEHAR_HEADER_SIZE;
    per_channel = 2u * v->n_samples;
    if (channels == 0) {
        if (body == 0 || body % per_channel != 0 || body / per_channel > EDGEHAR_MAX_CHANNELS) return EDGEHAR_E_LENGTH;
        v->n_channels = (uint8_t)(body / per_channel);
    } else {
        if (channels > EDGEHAR_MAX_CHANNELS || body != per_channel * channels) return EDGEHAR_E_LENGTH;
        v->n_channels = channels;
    }
    return EDGEHAR_OK;
}

/* Reads a length-prefixed string at *pos; returns 0 on success. */
static int take_str(const uint8_t *p, size_t len, size_t *pos, size_t limit, edgehar_str *s) {
    size_t n;
    if (*pos >= len) return EDGEHAR_E_LENGTH;
    n = p[*pos];
    if (n > limit || *pos + 1u + n > len) return EDGEHAR_E_LENGTH;
    s->len = (uint8_t)n;
    s->ptr = p + *pos + 1u;
    *pos += 1u + n;
    return EDGEHAR_OK;
}

/* Strict UTF-8 check (as Python's decoder): no overlongs, no surrogates, nothing above U+10FFFF. */
static int valid_utf8(const edgehar_str *s) {
    size_t i = 0;
    while (i < s->len) {
        uint8_t c = s->ptr[i];
        size_t extra, k;
        uint32_t cp;
        if (c < 0x80u) {
            ++i;
            continue;
        } else if (c >= 0xC2u && c <= 0xDFu) {
            extra = 1;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0u && c <= 0xEFu) {
            extra = 2;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0u && c <= 0xF4u) {
            extra = 3;
            cp = c & 0x07u;
        } else {
            return 0;
        }
        if (i + extra >= (size_t)s->len) return 0;
        for (k = 1; k <= extra; ++k) {
            uint8_t cc = s->ptr[i + k];
            if ((cc & 0xC0u) != 0x80u) return 0;
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        if ((extra == 2 && (cp < 0x800u || (cp >= 0xD800u && cp <= 0xDFFFu))) ||
            (extra == 3 && (cp < 0x10000u || cp > 0x10FFFFu)))
            return 0;
        i += extra + 1u;
    }
    return 1;
}

static int decode_config(const uint8_t *p, size_t len, edgehar_config_view *v) {
    size_t pos = 8;
    unsigned i;
    if (len < 8u) return EDGEHAR_E_LENGTH;
    v->n_channels = p[1];
    v->samples_per_frame = p[2];
    v->flags = p[3];
    v->rate_mhz = get_u32(p + 4);
    if (v->n_channels == 0 || v->n_channels > EDGEHAR_MAX_CHANNELS || v->rate_mhz == 0) return EDGEHAR_E_LENGTH;
    if (take_str(p, len, &pos, EDGEHAR_MAX_NAME, &v->device_name) || !valid_utf8(&v->device_name)) return EDGEHAR_E_LENGTH;
    if (take_str(p, len, &pos, EDGEHAR_MAX_NAME, &v->firmware) || !valid_utf8(&v->firmware)) return EDGEHAR_E_LENGTH;
    for (i = 0; i < v->n_channels; ++i) {
        edgehar_channel_view *ch = &v->channels[i];
        if (take_str(p, len, &pos, EDGEHAR_MAX_LABEL, &ch->label) || !valid_utf8(&ch->label)) return EDGEHAR_E_LENGTH;
        if (take_str(p, len, &pos, EDGEHAR_MAX_LABEL, &ch->unit) || !valid_utf8(&ch->unit)) return EDGEHAR_E_LENGTH;
        if (pos + 8u > len) return EDGEHAR_E_LENGTH;
        ch->scale = get_f32(p + pos);
        ch->range = get_f32(p + pos + 4);
        pos += 8u;
        if (!positive_finite(ch->scale) || !positive_finite(ch->range)) return EDGEHAR_E_LENGTH;
    }
    return pos == len ? EDGEHAR_OK : EDGEHAR_E_LENGTH;
}

int edgehar_decode_frame(const uint8_t *payload, size_t len, uint8_t channels, edgehar_frame *out) {
    unsigned version, type;
    if (payload == NULL || out == NULL || len == 0) return EDGEHAR_E_SHORT;
    if (len > EDGEHAR_MAX_PAYLOAD) return EDGEHAR_E_TOO_LONG;
    version = payload[0] >> 4;
    type = payload[0] & 0x0Fu;
    if (version != EDGEHAR_PROTOCOL_VERSION) return EDGEHAR_E_VERSION;
    out->type = (uint8_t)type;
    switch (type) {
    case EDGEHAR_TYPE_DATA: return decode_data(payload, len, channels, &out->u.data);
    case EDGEHAR_TYPE_CONFIG: return decode_config(payload, len, &out->u.config);
    case EDGEHAR_TYPE_CONTROL:
        if (len != EDGEHAR_CONTROL_SIZE) return EDGEHAR_E_LENGTH;
        out->u.control.opcode = payload[1];
        out->u.control.arg = payload[2];
        return EDGEHAR_OK;
    default: return EDGEHAR_E_TYPE;
    }
}

int16_t edgehar_data_sample(const edgehar_data_view *view, unsigned sample, unsigned channel) {
    const uint8_t *p = view->sample_bytes + 2u * ((size_t)sample * view->n_channels + channel);
    uint16_t raw = get_u16(p);
    /* Two's complement without implementation-defined conversion of values above INT16_MAX. */
    return raw >= 0x8000u ? (int16_t)(-(int32_t)(0x10000u - raw)) : (int16_t)raw;
}

/* ---- serial transport ---- */
int edgehar_serial_wrap(const uint8_t *payload, size_t len, uint8_t *out, size_t cap) {
    cobs_writer w;
    size_t i;
    uint16_t crc;
    int n;
    if (payload == NULL || len == 0 || len > EDGEHAR_MAX_PAYLOAD) return EDGEHAR_E_ARG;
    if (out == NULL) return EDGEHAR_E_SPACE;
    crc = edgehar_crc16(payload, len);
    cobs_begin(&w, out, cap);
    for (i = 0; i < len && !w.overflow; ++i) cobs_put(&w, payload[i]);
    cobs_put(&w, (uint8_t)(crc & 0xFFu));
    cobs_put(&w, (uint8_t)(crc >> 8));
    n = cobs_end(&w);
    if (n < 0 || (size_t)n >= cap) return EDGEHAR_E_SPACE;
    out[n] = 0;
    return n + 1;
}

int edgehar_serial_unwrap(uint8_t *packet, size_t len) {
    int n;
    uint16_t want, got;
    if (packet == NULL) return EDGEHAR_E_SHORT;
    if (len > EDGEHAR_SERIAL_MAX_PACKET) return EDGEHAR_E_TOO_LONG;
    n = edgehar_cobs_decode(packet, len, packet, len);
    if (n < 0) return n;
    if (n < (int)(1u + EDGEHAR_CRC_SIZE)) return EDGEHAR_E_SHORT;
    n -= (int)EDGEHAR_CRC_SIZE;
    got = get_u16(packet + n);
    want = edgehar_crc16(packet, (size_t)n);
    return got == want ? n : EDGEHAR_E_CRC;
}

void edgehar_stream_init(edgehar_stream *s, uint8_t *buf, size_t cap) {
    memset(s, 0, sizeof *s);
    s->buf = buf;
    s->cap = cap;
}

int edgehar_stream_push(edgehar_stream *s, uint8_t byte) {
    int n;
    if (s->ready) {
        s->ready = 0;
        s->len = 0;
    }
    if (byte != 0) {
        if (s->discarding) return 0;
        if (s->len >= s->cap || s->len >= EDGEHAR_SERIAL_MAX_PACKET) {
            s->discarding = 1;
            s->len = 0;
            ++s->corrupt;
            return EDGEHAR_E_TOO_LONG;
        }
        s->buf[s->len++] = byte;
        return 0;
    }
    if (s->discarding) { /* end of an over-long packet, already counted */
        s->discarding = 0;
        return 0;
    }
    if (s->len == 0) return 0; /* empty packet: a flush delimiter */
    n = edgehar_serial_unwrap(s->buf, s->len);
    if (n < 0) {
        s->len = 0;
        ++s->corrupt;
        if (n == EDGEHAR_E_CRC) ++s->bad_crc;
        return n;
    }
    s->ready = 1;
    ++s->packets;
    return n;
}

/* ---- BLE sizing ---- */
uint8_t edgehar_samples_per_notification(uint16_t att_mtu, uint8_t n_channels, uint8_t preferred) {
    unsigned room, n;
    if (n_channels == 0 || att_mtu < EDGEHAR_ATT_NOTIFY_OVERHEAD + EDGEHAR_HEADER_SIZE) return 0;
    room = (unsigned)att_mtu - EDGEHAR_ATT_NOTIFY_OVERHEAD;
    if (room > EDGEHAR_MAX_PAYLOAD) room = EDGEHAR_MAX_PAYLOAD;
    n = (room - EDGEHAR_HEADER_SIZE) / (2u * n_channels);
    if (n > preferred) n = preferred;
    return (uint8_t)n;
}

/* ---- batcher ---- */
int edgehar_batcher_init(edgehar_batcher *b, int16_t *buf, size_t buf_len, uint8_t n_channels, uint8_t target) {
    if (b == NULL || buf == NULL || n_channels == 0 || n_channels > EDGEHAR_MAX_CHANNELS || target == 0 ||
        (size_t)target * n_channels > buf_len || EDGEHAR_DATA_SIZE((size_t)target, n_channels) > EDGEHAR_MAX_PAYLOAD)
        return EDGEHAR_E_ARG;
    memset(b, 0, sizeof *b);
    b->buf = buf;
    b->buf_len = buf_len;
    b->n_channels = n_channels;
    b->target = target;
    return EDGEHAR_OK;
}

int edgehar_batcher_set_target(edgehar_batcher *b, uint8_t target) {
    if (target == 0 || (size_t)target * b->n_channels > b->buf_len ||
        EDGEHAR_DATA_SIZE((size_t)target, b->n_channels) > EDGEHAR_MAX_PAYLOAD)
        return EDGEHAR_E_ARG;
    b->target = target;
    return b->count >= target ? 1 : 0;
}

int edgehar_batcher_add(edgehar_batcher *b, uint32_t t_us, const int16_t *sample) {
    if (b->count >= b->target) return EDGEHAR_E_SPACE; /* full: take() first */
    if (b->count == 0) b->t0_us = t_us;
    memcpy(b->buf + (size_t)b->count * b->n_channels, sample, sizeof(int16_t) * b->n_channels);
    ++b->count;
    return b->count >= b->target ? 1 : 0;
}

int edgehar_batcher_take(edgehar_batcher *b, uint8_t *out, size_t cap) {
    int n;
    if (b->count == 0) return EDGEHAR_E_ARG;
    n = edgehar_encode_data(out, cap, b->seq, b->t0_us, b->buf, b->count, b->n_channels);
    if (n < 0) return n;
    ++b->seq; /* u16 arithmetic wraps 65535 -> 0 as the protocol says */
    b->count = 0;
    return n;
}
