/* imghdr.h - what an image or audio file is, from its first bytes only.
 *
 * imghdr_parse() reads the header of PNG (IHDR), JPEG (the first SOFn
 * marker, walking the segments), GIF (logical screen), BMP (DIB header),
 * WebP (VP8, VP8L, VP8X chunks), TIFF (first IFD: width, length, samples
 * per pixel) and WAV (RIFF fmt chunk: channels, sample rate, bits) from a
 * buffer, never decoding pixels or samples. Everything it reads is bounds
 * checked: any byte string is safe input (see tests/fuzz/fuzz_task_imghdr.c).
 * A recognised format with a truncated or odd header returns the format
 * with zero sizes. */
#ifndef MLESTAR_TASK_IMGHDR_H
#define MLESTAR_TASK_IMGHDR_H

#include <stddef.h>

enum imghdr_format {
    IMGHDR_UNKNOWN, IMGHDR_PNG, IMGHDR_JPEG, IMGHDR_GIF, IMGHDR_BMP, IMGHDR_WEBP, IMGHDR_TIFF, IMGHDR_WAV
};

struct imghdr {
    enum imghdr_format format;
    unsigned width, height;   /* pixels; 0 when the header does not say */
    unsigned channels;        /* 1 grey, 2 grey+alpha, 3 colour, 4 colour+alpha (or CMYK); audio channels */
    unsigned bits;            /* bits per channel sample */
    unsigned sample_rate;     /* WAV only */
};

#define IMGHDR_READ 65536     /* bytes worth reading from a file's start */

/* Fills *out (zeroed first); returns out->format. */
enum imghdr_format imghdr_parse(const unsigned char *data, size_t len, struct imghdr *out);
/* Reads up to IMGHDR_READ bytes of a file and parses them; IMGHDR_UNKNOWN
 * when the file cannot be read. */
enum imghdr_format imghdr_file(const char *path, struct imghdr *out);
const char *imghdr_format_name(enum imghdr_format f);

#endif
