/*
 * Unit tests of the C codec: every case of ../../vectors/vectors.txt (the same cases the Python
 * tests read from vectors.json) plus the edge cases only C has (buffer capacities, in-place COBS,
 * the byte-at-a-time receiver, the batcher). Usage: test_codec path/to/vectors.txt
 * Prints one line per failure and a summary; exit status 0 only if every check passed.
 */
#include "edgehar_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks = 0;
static int failures = 0;
static const char *current = "";

#define CHECK(cond)                                                                     \
    do {                                                                                \
        ++checks;                                                                       \
        if (!(cond)) {                                                                  \
            ++failures;                                                                 \
            fprintf(stderr, "FAIL [%s] %s:%d: %s\n", current, __FILE__, __LINE__, #cond); \
        }                                                                               \
    } while (0)

#define MAX_BYTES 4096
#define MAX_LINE 65536

static char line[MAX_LINE];

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* "-" is the empty byte string. Returns the byte count. */
static size_t unhex(const char *tok, uint8_t *out) {
    size_t n = 0;
    if (strcmp(tok, "-") == 0) return 0;
    while (tok[0] && tok[1] && n < MAX_BYTES) {
        out[n++] = (uint8_t)(hexval(tok[0]) * 16 + hexval(tok[1]));
        tok += 2;
    }
    return n;
}

static char *next(void) {
    char *t = strtok(NULL, " \n");
    if (t == NULL) {
        fprintf(stderr, "FAIL [%s] vectors line ends early\n", current);
        exit(2);
    }
    return t;
}

static long next_long(void) { return strtol(next(), NULL, 10); }

static int same(const uint8_t *a, size_t na, const uint8_t *b, size_t nb) {
    return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

static float bits_to_float(const char *hex8) {
    uint32_t bits = (uint32_t)strtoul(hex8, NULL, 16);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* Pushes wire bytes through a fresh stream receiver; collects payloads back to back in out. */
static int stream_collect(const uint8_t *wire, size_t n, uint8_t *out, size_t *lens, int max_payloads,
                          edgehar_stream *s) {
    static uint8_t buf[EDGEHAR_SERIAL_MAX_PACKET];
    size_t i, at = 0;
    int count = 0;
    edgehar_stream_init(s, buf, sizeof buf);
    for (i = 0; i < n; ++i) {
        int r = edgehar_stream_push(s, wire[i]);
        if (r > 0 && count < max_payloads) {
            memcpy(out + at, s->buf, (size_t)r);
            lens[count++] = (size_t)r;
            at += (size_t)r;
        }
    }
    return count;
}

static void check_serial(const uint8_t *payload, size_t plen, const uint8_t *serial, size_t slen) {
    static uint8_t wire[EDGEHAR_SERIAL_MAX_WIRE], packet[EDGEHAR_SERIAL_MAX_WIRE], got[MAX_BYTES];
    size_t lens[2], cap;
    edgehar_stream s;
    int n = edgehar_serial_wrap(payload, plen, wire, sizeof wire);
    CHECK(n > 0 && same(wire, (size_t)n, serial, slen));
    /* every smaller buffer is refused, never overrun (ASan watches) */
    for (cap = 0; cap < slen; ++cap) CHECK(edgehar_serial_wrap(payload, plen, wire, cap) == EDGEHAR_E_SPACE);
    memcpy(packet, serial, slen - 1);
    n = edgehar_serial_unwrap(packet, slen - 1);
    CHECK(n >= 0 && same(packet, (size_t)n, payload, plen));
    CHECK(stream_collect(serial, slen, got, lens, 2, &s) == 1 && same(got, lens[0], payload, plen));
    CHECK(s.packets == 1 && s.corrupt == 0);
}

static void test_crc(void) {
    static uint8_t in[MAX_BYTES];
    size_t n = unhex(next(), in);
    long want = next_long();
    CHECK(edgehar_crc16(in, n) == (uint16_t)want);
    if (n > 1) /* in two pieces */
        CHECK(edgehar_crc16_update(edgehar_crc16(in, 1), in + 1, n - 1) == (uint16_t)want);
}

static void test_cobs(void) {
    static uint8_t dec[MAX_BYTES], enc[MAX_BYTES], out[MAX_BYTES];
    size_t nd = unhex(next(), dec), ne = unhex(next(), enc), cap;
    int encoder_output = (int)next_long();
    int n;
    if (encoder_output) {
        n = edgehar_cobs_encode(dec, nd, out, sizeof out);
        CHECK(n >= 0 && same(out, (size_t)n, enc, ne));
        for (cap = 0; cap < ne; ++cap) CHECK(edgehar_cobs_encode(dec, nd, out, cap) == EDGEHAR_E_SPACE);
        CHECK(ne <= EDGEHAR_COBS_MAX(nd));
    }
    n = edgehar_cobs_decode(enc, ne, out, sizeof out);
    CHECK(n >= 0 && same(out, (size_t)n, dec, nd));
    if (nd > 0) CHECK(edgehar_cobs_decode(enc, ne, out, nd - 1) == EDGEHAR_E_SPACE);
    memcpy(out, enc, ne); /* in place */
    n = edgehar_cobs_decode(out, ne, out, ne);
    CHECK(n >= 0 && same(out, (size_t)n, dec, nd));
}

static void test_data(void) {
    static uint8_t payload[MAX_BYTES], serial[MAX_BYTES], out[MAX_BYTES];
    static int16_t samples[EDGEHAR_MAX_PAYLOAD];
    size_t plen = unhex(next(), payload), slen = unhex(next(), serial), i, cap;
    uint16_t seq = (uint16_t)next_long();
    uint32_t t0 = (uint32_t)strtoul(next(), NULL, 10);
    uint8_t n = (uint8_t)next_long(), c = (uint8_t)next_long();
    edgehar_frame f;
    edgehar_batcher b;
    int r;
    unsigned s, ch;
    for (i = 0; i < (size_t)n * c; ++i) samples[i] = (int16_t)next_long();

    r = edgehar_encode_data(out, sizeof out, seq, t0, samples, n, c);
    CHECK(r >= 0 && same(out, (size_t)r, payload, plen));
    for (cap = 0; cap < plen; ++cap) CHECK(edgehar_encode_data(out, cap, seq, t0, samples, n, c) == EDGEHAR_E_SPACE);

    CHECK(edgehar_decode_frame(payload, plen, c, &f) == EDGEHAR_OK);
    CHECK(f.type == EDGEHAR_TYPE_DATA && f.u.data.seq == seq && f.u.data.t0_us == t0);
    CHECK(f.u.data.n_samples == n && f.u.data.n_channels == c);
    for (s = 0; s < n; ++s)
        for (ch = 0; ch < c; ++ch) CHECK(edgehar_data_sample(&f.u.data, s, ch) == samples[(size_t)s * c + ch]);
    CHECK(edgehar_decode_frame(payload, plen, 0, &f) == EDGEHAR_OK && f.u.data.n_channels == c);

    /* the batcher produces the same bytes from one sample at a time */
    CHECK(edgehar_batcher_init(&b, samples + 0, 0, c, n) == EDGEHAR_E_ARG);
    {
        static int16_t store[EDGEHAR_MAX_PAYLOAD];
        CHECK(edgehar_batcher_init(&b, store, sizeof store / sizeof store[0], c, n) == EDGEHAR_OK);
        b.seq = seq;
        for (s = 0; s < n; ++s) CHECK(edgehar_batcher_add(&b, s == 0 ? t0 : t0 + 1000u * s, samples + (size_t)s * c) == (s + 1 == n));
        r = edgehar_batcher_take(&b, out, sizeof out);
        CHECK(r >= 0 && same(out, (size_t)r, payload, plen));
        CHECK(b.seq == (uint16_t)(seq + 1u) && b.count == 0);
    }
    check_serial(payload, plen, serial, slen);
}

static void test_config(void) {
    static uint8_t payload[MAX_BYTES], serial[MAX_BYTES], out[MAX_BYTES], strs[40][64];
    static char cstr[40][64];
    edgehar_channel chans[EDGEHAR_MAX_CHANNELS];
    edgehar_config cfg;
    edgehar_frame f;
    size_t plen = unhex(next(), payload), slen = unhex(next(), serial), cap, lens[40];
    unsigned i, k = 0;
    int r;
    cfg.rate_mhz = (uint32_t)strtoul(next(), NULL, 10);
    cfg.samples_per_frame = (uint8_t)next_long();
    cfg.flags = (uint8_t)next_long();
    for (i = 0; i < 2; ++i, ++k) {
        lens[k] = unhex(next(), strs[k]);
        memcpy(cstr[k], strs[k], lens[k]);
        cstr[k][lens[k]] = 0;
    }
    cfg.device_name = cstr[0];
    cfg.firmware = cstr[1];
    cfg.n_channels = (uint8_t)next_long();
    for (i = 0; i < cfg.n_channels; ++i) {
        lens[k] = unhex(next(), strs[k]);
        memcpy(cstr[k], strs[k], lens[k]);
        cstr[k][lens[k]] = 0;
        chans[i].label = cstr[k++];
        lens[k] = unhex(next(), strs[k]);
        memcpy(cstr[k], strs[k], lens[k]);
        cstr[k][lens[k]] = 0;
        chans[i].unit = cstr[k++];
        chans[i].scale = bits_to_float(next());
        chans[i].range = bits_to_float(next());
    }
    cfg.channels = chans;
    r = edgehar_encode_config(out, sizeof out, &cfg);
    CHECK(r >= 0 && same(out, (size_t)r, payload, plen));
    for (cap = 0; cap < plen; ++cap) CHECK(edgehar_encode_config(out, cap, &cfg) == EDGEHAR_E_SPACE);

    CHECK(edgehar_decode_frame(payload, plen, 0, &f) == EDGEHAR_OK && f.type == EDGEHAR_TYPE_CONFIG);
    CHECK(f.u.config.rate_mhz == cfg.rate_mhz && f.u.config.n_channels == cfg.n_channels);
    CHECK(f.u.config.samples_per_frame == cfg.samples_per_frame && f.u.config.flags == cfg.flags);
    CHECK(same(f.u.config.device_name.ptr, f.u.config.device_name.len, strs[0], lens[0]));
    CHECK(same(f.u.config.firmware.ptr, f.u.config.firmware.len, strs[1], lens[1]));
    for (i = 0; i < cfg.n_channels; ++i) {
        const edgehar_channel_view *v = &f.u.config.channels[i];
        CHECK(same(v->label.ptr, v->label.len, strs[2 + 2 * i], lens[2 + 2 * i]));
        CHECK(same(v->unit.ptr, v->unit.len, strs[3 + 2 * i], lens[3 + 2 * i]));
        CHECK(memcmp(&v->scale, &chans[i].scale, sizeof(float)) == 0);
        CHECK(memcmp(&v->range, &chans[i].range, sizeof(float)) == 0);
    }
    check_serial(payload, plen, serial, slen);
}

static void test_control(void) {
    static uint8_t payload[MAX_BYTES], serial[MAX_BYTES], out[8];
    size_t plen = unhex(next(), payload), slen = unhex(next(), serial);
    uint8_t op = (uint8_t)next_long(), arg = (uint8_t)next_long();
    edgehar_frame f;
    int r = edgehar_encode_control(out, sizeof out, op, arg);
    CHECK(r >= 0 && same(out, (size_t)r, payload, plen));
    CHECK(edgehar_encode_control(out, 2, op, arg) == EDGEHAR_E_SPACE);
    CHECK(edgehar_decode_frame(payload, plen, 0, &f) == EDGEHAR_OK && f.type == EDGEHAR_TYPE_CONTROL);
    CHECK(f.u.control.opcode == op && f.u.control.arg == arg);
    check_serial(payload, plen, serial, slen);
}

static void test_bad_frame(void) {
    static uint8_t payload[MAX_BYTES];
    size_t plen = unhex(next(), payload);
    uint8_t channels = (uint8_t)next_long();
    const char *want = next();
    edgehar_frame f;
    int r = edgehar_decode_frame(payload, plen, channels, &f);
    CHECK(strcmp(edgehar_status_name(r), want) == 0);
    if (strcmp(edgehar_status_name(r), want) != 0) fprintf(stderr, "  got %s, want %s\n", edgehar_status_name(r), want);
}

static void test_bad_packet(void) {
    static uint8_t packet[MAX_BYTES], copy[MAX_BYTES], got[MAX_BYTES];
    size_t n = unhex(next(), packet), lens[2];
    const char *want = next();
    edgehar_stream s;
    int r;
    memcpy(copy, packet, n);
    r = edgehar_serial_unwrap(copy, n);
    CHECK(strcmp(edgehar_status_name(r), want) == 0);
    packet[n] = 0;
    CHECK(stream_collect(packet, n + 1, got, lens, 2, &s) == 0 && s.corrupt == 1);
    CHECK(s.bad_crc == (strcmp(want, "crc") == 0 ? 1u : 0u));
}

static void test_stream(void) {
    static uint8_t input[MAX_BYTES], want[MAX_BYTES], got[MAX_BYTES];
    size_t n = unhex(next(), input), lens[16], at = 0, i, wlen;
    uint32_t corrupt = (uint32_t)next_long(), bad_crc = (uint32_t)next_long();
    int count = (int)next_long(), k;
    edgehar_stream s;
    k = stream_collect(input, n, got, lens, 16, &s);
    CHECK(k == count && s.corrupt == corrupt && s.bad_crc == bad_crc);
    for (i = 0; i < (size_t)count && (int)i < k; ++i) {
        wlen = unhex(next(), want);
        CHECK(same(got + at, lens[i], want, wlen));
        at += lens[i];
    }
}

/* ---- checks that need no vectors ---- */
static void test_sizing(void) {
    current = "samples_per_notification";
    CHECK(edgehar_samples_per_notification(23, 6, 5) == 1);
    CHECK(edgehar_samples_per_notification(59, 6, 5) == 4);
    CHECK(edgehar_samples_per_notification(71, 6, 5) == 5);
    CHECK(edgehar_samples_per_notification(517, 6, 5) == 5);
    CHECK(edgehar_samples_per_notification(517, 6, 255) == 42); /* capped by the 512-byte payload */
    CHECK(edgehar_samples_per_notification(23, 9, 5) == 0);
    CHECK(edgehar_samples_per_notification(10, 6, 5) == 0);
    CHECK(edgehar_samples_per_notification(247, 0, 5) == 0);
}

static void test_batcher_edges(void) {
    int16_t store[6 * 4], sample[6] = {1, 2, 3, 4, 5, 6};
    uint8_t out[EDGEHAR_MAX_PAYLOAD];
    edgehar_batcher b;
    edgehar_frame f;
    int r;
    current = "batcher";
    CHECK(edgehar_batcher_init(&b, store, 24, 6, 5) == EDGEHAR_E_ARG); /* 5 x 6 > 24 */
    CHECK(edgehar_batcher_init(&b, store, 24, 6, 4) == EDGEHAR_OK);
    CHECK(edgehar_batcher_take(&b, out, sizeof out) == EDGEHAR_E_ARG); /* nothing collected */
    b.seq = 0xFFFF;
    CHECK(edgehar_batcher_add(&b, 10, sample) == 0);
    CHECK(edgehar_batcher_add(&b, 20, sample) == 0);
    CHECK(edgehar_batcher_set_target(&b, 2) == 1); /* already full at the new size */
    CHECK(edgehar_batcher_add(&b, 30, sample) == EDGEHAR_E_SPACE);
    r = edgehar_batcher_take(&b, out, sizeof out);
    CHECK(r == (int)EDGEHAR_DATA_SIZE(2u, 6u));
    CHECK(edgehar_decode_frame(out, (size_t)r, 6, &f) == EDGEHAR_OK && f.u.data.seq == 0xFFFF && f.u.data.t0_us == 10);
    CHECK(b.seq == 0); /* wrapped */
    CHECK(edgehar_batcher_set_target(&b, 5) == EDGEHAR_E_ARG);
    CHECK(edgehar_batcher_set_target(&b, 0) == EDGEHAR_E_ARG);
    CHECK(edgehar_batcher_add(&b, 40, sample) == 0);
    CHECK(edgehar_batcher_take(&b, out, 10) == EDGEHAR_E_SPACE && b.count == 1); /* kept for a retry */
}

static void test_encoder_arguments(void) {
    int16_t samples[EDGEHAR_MAX_PAYLOAD] = {0};
    uint8_t out[EDGEHAR_SERIAL_MAX_WIRE + 8];
    edgehar_channel ch = {"acc_x", "g", 0.5f, 4.0f};
    edgehar_config cfg = {100000u, 5, 0, "edgehar-test", "1", NULL, 1};
    current = "encoder arguments";
    CHECK(edgehar_encode_data(out, sizeof out, 0, 0, samples, 0, 6) == EDGEHAR_E_ARG);
    CHECK(edgehar_encode_data(out, sizeof out, 0, 0, samples, 1, 0) == EDGEHAR_E_ARG);
    CHECK(edgehar_encode_data(out, sizeof out, 0, 0, samples, 1, 17) == EDGEHAR_E_ARG);
    CHECK(edgehar_encode_data(out, sizeof out, 0, 0, samples, 43, 6) == EDGEHAR_E_ARG); /* 524 bytes */
    CHECK(edgehar_encode_data(out, sizeof out, 0, 0, samples, 42, 6) == 512);
    CHECK(edgehar_encode_config(out, sizeof out, &cfg) == EDGEHAR_E_ARG); /* no channels */
    cfg.channels = &ch;
    CHECK(edgehar_encode_config(out, sizeof out, &cfg) > 0);
    ch.scale = 0.0f;
    CHECK(edgehar_encode_config(out, sizeof out, &cfg) == EDGEHAR_E_ARG);
    ch.scale = 0.5f;
    ch.label = "a_label_of_16_ch";
    CHECK(edgehar_encode_config(out, sizeof out, &cfg) == EDGEHAR_E_ARG);
    ch.label = "acc_x";
    cfg.rate_mhz = 0;
    CHECK(edgehar_encode_config(out, sizeof out, &cfg) == EDGEHAR_E_ARG);
    CHECK(edgehar_serial_wrap(out, 0, out, sizeof out) == EDGEHAR_E_ARG);
    CHECK(strcmp(edgehar_status_name(EDGEHAR_E_CRC), "crc") == 0);
    CHECK(strcmp(edgehar_status_name(-100), "unknown") == 0);
}

/* A receiver fed the wire bytes of a 512-byte frame through a buffer too small for it. */
static void test_small_receive_buffer(void) {
    int16_t samples[42 * 6];
    uint8_t payload[EDGEHAR_MAX_PAYLOAD], wire[EDGEHAR_SERIAL_MAX_WIRE], small[64];
    edgehar_stream s;
    int n, i, r, dropped = 0, got = 0;
    current = "small receive buffer";
    for (i = 0; i < 42 * 6; ++i) samples[i] = (int16_t)(i * 77);
    n = edgehar_encode_data(payload, sizeof payload, 3, 4, samples, 42, 6);
    n = edgehar_serial_wrap(payload, (size_t)n, wire, sizeof wire);
    edgehar_stream_init(&s, small, sizeof small);
    for (i = 0; i < n; ++i) {
        r = edgehar_stream_push(&s, wire[i]);
        dropped += r == EDGEHAR_E_TOO_LONG;
        got += r > 0;
    }
    n = edgehar_encode_control(payload, sizeof payload, 1, 0);
    n = edgehar_serial_wrap(payload, (size_t)n, wire, sizeof wire);
    for (i = 0; i < n; ++i) got += edgehar_stream_push(&s, wire[i]) > 0;
    CHECK(dropped == 1 && got == 1 && s.corrupt == 1 && s.packets == 1);
}

int main(int argc, char **argv) {
    FILE *fp;
    if (argc != 2) {
        fprintf(stderr, "usage: %s vectors.txt\n", argv[0]);
        return 2;
    }
    fp = fopen(argv[1], "r");
    if (fp == NULL) {
        perror(argv[1]);
        return 2;
    }
    while (fgets(line, sizeof line, fp)) {
        char *kind = strtok(line, " \n");
        if (kind == NULL || kind[0] == '#') continue;
        if (strcmp(kind, "crc") == 0) {
            current = "crc";
            test_crc();
            continue;
        }
        current = next();
        if (strcmp(kind, "cobs") == 0) test_cobs();
        else if (strcmp(kind, "data") == 0) test_data();
        else if (strcmp(kind, "config") == 0) test_config();
        else if (strcmp(kind, "control") == 0) test_control();
        else if (strcmp(kind, "bad_frame") == 0) test_bad_frame();
        else if (strcmp(kind, "bad_packet") == 0) test_bad_packet();
        else if (strcmp(kind, "stream") == 0) test_stream();
        else {
            fprintf(stderr, "FAIL unknown vector kind %s\n", kind);
            ++failures;
        }
    }
    fclose(fp);
    test_sizing();
    test_batcher_edges();
    test_encoder_arguments();
    test_small_receive_buffer();
    printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 && checks > 100 ? 0 : 1;
}
