/* imghdr.c - image and audio headers (see imghdr.h).
 *
 * Each format has one small function over (data, len); every multi-byte
 * read goes through be16/be32/le16/le32 with an explicit bounds check
 * first. The JPEG walker follows segment lengths from marker to marker
 * until a start-of-frame (SOF0..SOF15 except DHT/JPG/DAC) and stops at the
 * buffer's end. */
#include "task/imghdr.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static unsigned be16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static unsigned be32(const unsigned char *p)
{
    return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}
static unsigned le16(const unsigned char *p) { return (unsigned)p[1] << 8 | p[0]; }
static unsigned le32(const unsigned char *p)
{
    return (unsigned)p[3] << 24 | (unsigned)p[2] << 16 | (unsigned)p[1] << 8 | p[0];
}

const char *imghdr_format_name(enum imghdr_format f)
{
    static const char *const names[] = {"unknown", "png", "jpeg", "gif", "bmp", "webp", "tiff", "wav"};
    return (unsigned)f < sizeof names / sizeof *names ? names[f] : "unknown";
}

static void png(const unsigned char *d, size_t n, struct imghdr *o)
{
    /* signature (8), length (4), "IHDR", width, height, depth, colour type */
    if (n < 26 || memcmp(d + 12, "IHDR", 4) != 0)
        return;
    o->width = be32(d + 16);
    o->height = be32(d + 20);
    o->bits = d[24];
    switch (d[25]) {
    case 0: o->channels = 1; break;
    case 2: o->channels = 3; break;
    case 3: o->channels = 3; break; /* palette: colour */
    case 4: o->channels = 2; break;
    case 6: o->channels = 4; break;
    default: break;
    }
}

static void jpeg(const unsigned char *d, size_t n, struct imghdr *o)
{
    size_t i = 2;
    while (i + 4 <= n) {
        if (d[i] != 0xFF) {
            i++; /* not at a marker: resynchronise */
            continue;
        }
        unsigned marker = d[i + 1];
        if (marker == 0xFF) {
            i++; /* fill byte */
            continue;
        }
        if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
            i += 2; /* markers without a length */
            continue;
        }
        if (marker == 0xD9 || marker == 0xDA)
            return; /* end of image, or start of scan before any frame */
        unsigned seglen = be16(d + i + 2);
        bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (sof) {
            if (i + 10 > n)
                return;
            o->bits = d[i + 4];
            o->height = be16(d + i + 5);
            o->width = be16(d + i + 7);
            o->channels = d[i + 9];
            return;
        }
        if (seglen < 2)
            return;
        i += 2 + seglen;
    }
}

static void gif(const unsigned char *d, size_t n, struct imghdr *o)
{
    if (n < 10)
        return;
    o->width = le16(d + 6);
    o->height = le16(d + 8);
    o->channels = 3;
    o->bits = 8;
}

static void bmp(const unsigned char *d, size_t n, struct imghdr *o)
{
    if (n < 26)
        return;
    unsigned dib = le32(d + 14);
    if (dib == 12) { /* OS/2 core header: 16-bit sizes */
        o->width = le16(d + 18);
        o->height = le16(d + 20);
        if (n >= 26)
            o->bits = le16(d + 24);
    } else if (dib >= 40 && n >= 30) {
        int w = (int)le32(d + 18), h = (int)le32(d + 22);
        o->width = (unsigned)(w < 0 ? -(long long)w : w);
        o->height = (unsigned)(h < 0 ? -(long long)h : h);
        o->bits = le16(d + 28);
    } else {
        return;
    }
    unsigned bpp = o->bits;
    o->channels = bpp == 32 ? 4 : 3; /* 1-8 bits: a palette, taken as colour */
    o->bits = 8;
}

static void webp(const unsigned char *d, size_t n, struct imghdr *o)
{
    if (n < 30)
        return;
    if (memcmp(d + 12, "VP8 ", 4) == 0) {
        /* frame tag (3), start code 9d 01 2a, 14-bit width and height */
        if (d[23] != 0x9d || d[24] != 0x01 || d[25] != 0x2a)
            return;
        o->width = le16(d + 26) & 0x3FFF;
        o->height = le16(d + 28) & 0x3FFF;
        o->channels = 3;
    } else if (memcmp(d + 12, "VP8L", 4) == 0) {
        if (d[20] != 0x2f || n < 25)
            return;
        unsigned bits = le32(d + 21);
        o->width = (bits & 0x3FFF) + 1;
        o->height = ((bits >> 14) & 0x3FFF) + 1;
        o->channels = (bits >> 28) & 1 ? 4 : 3;
    } else if (memcmp(d + 12, "VP8X", 4) == 0) {
        o->channels = d[20] & 0x10 ? 4 : 3;
        o->width = ((unsigned)d[24] | (unsigned)d[25] << 8 | (unsigned)d[26] << 16) + 1;
        o->height = ((unsigned)d[27] | (unsigned)d[28] << 8 | (unsigned)d[29] << 16) + 1;
    } else {
        return;
    }
    o->bits = 8;
}

static void tiff(const unsigned char *d, size_t n, struct imghdr *o)
{
    bool little = d[0] == 'I';
    unsigned (*u16)(const unsigned char *) = little ? le16 : be16;
    unsigned (*u32)(const unsigned char *) = little ? le32 : be32;
    unsigned ifd = u32(d + 4);
    if ((size_t)ifd + 2 > n)
        return;
    unsigned count = u16(d + ifd);
    o->channels = 1;
    for (unsigned k = 0; k < count; k++) {
        size_t e = (size_t)ifd + 2 + (size_t)k * 12;
        if (e + 12 > n)
            return;
        unsigned tag = u16(d + e), type = u16(d + e + 2);
        unsigned value = type == 3 ? u16(d + e + 8) : u32(d + e + 8);
        if (tag == 256)
            o->width = value;
        else if (tag == 257)
            o->height = value;
        else if (tag == 258)
            o->bits = type == 3 && u32(d + e + 4) == 1 ? value : 8;
        else if (tag == 277)
            o->channels = value;
    }
}

static void wav(const unsigned char *d, size_t n, struct imghdr *o)
{
    size_t i = 12;
    while (i + 8 <= n) {
        unsigned size = le32(d + i + 4);
        if (memcmp(d + i, "fmt ", 4) == 0) {
            if (i + 24 > n)
                return;
            o->channels = le16(d + i + 10);
            o->sample_rate = le32(d + i + 12);
            o->bits = le16(d + i + 22);
            return;
        }
        if (size > n - i - 8)
            return;
        i += 8 + size + (size & 1);
    }
}

enum imghdr_format imghdr_parse(const unsigned char *d, size_t n, struct imghdr *o)
{
    memset(o, 0, sizeof *o);
    if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) {
        o->format = IMGHDR_PNG;
        png(d, n, o);
    } else if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) {
        o->format = IMGHDR_JPEG;
        jpeg(d, n, o);
    } else if (n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0)) {
        o->format = IMGHDR_GIF;
        gif(d, n, o);
    } else if (n >= 2 && d[0] == 'B' && d[1] == 'M') {
        o->format = IMGHDR_BMP;
        bmp(d, n, o);
    } else if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0) {
        o->format = IMGHDR_WEBP;
        webp(d, n, o);
    } else if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WAVE", 4) == 0) {
        o->format = IMGHDR_WAV;
        wav(d, n, o);
    } else if (n >= 8 && (memcmp(d, "II*\0", 4) == 0 || memcmp(d, "MM\0*", 4) == 0)) {
        o->format = IMGHDR_TIFF;
        tiff(d, n, o);
    }
    return o->format;
}

enum imghdr_format imghdr_file(const char *path, struct imghdr *out)
{
    static _Thread_local unsigned char buf[IMGHDR_READ];
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return IMGHDR_UNKNOWN;
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    return imghdr_parse(buf, n, out);
}
