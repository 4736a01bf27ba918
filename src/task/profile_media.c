/* profile_media.c - image and audio groups of the profile: what their
 * headers say (imghdr.c), read from an evenly spread sample of at most
 * PROFILE_MEDIA_SAMPLE files, so a folder of 100k images costs 64 small
 * reads. Sizes and channels are ranges over the sample; formats are the
 * distinct format names seen, in first-seen order. */
#include "task/profile.h"

#include <stdio.h>
#include <string.h>

#include "task/imghdr.h"
#include "util/buf.h"
#include "util/mem.h"

static void add_format(struct profile_media *m, const char *name)
{
    if (strstr(m->formats, name))
        return;
    size_t len = strlen(m->formats);
    snprintf(m->formats + len, sizeof m->formats - len, "%s%s", len ? ", " : "", name);
}

static void widen(unsigned *lo, unsigned *hi, unsigned v, bool first)
{
    if (first || v < *lo)
        *lo = v;
    if (first || v > *hi)
        *hi = v;
}

void profile_media_read(const struct task_file *const *files, size_t n, struct profile_media *m)
{
    memset(m, 0, sizeof *m);
    size_t take = n < PROFILE_MEDIA_SAMPLE ? n : PROFILE_MEDIA_SAMPLE;
    bool first_image = true, first_audio = true, first_channels = true;
    for (size_t s = 0; s < take; s++) {
        const struct task_file *f = files[s * n / take];
        struct imghdr h;
        enum imghdr_format fmt = imghdr_file(f->abs_path, &h);
        m->sampled++;
        if (fmt == IMGHDR_UNKNOWN || (fmt != IMGHDR_WAV && (h.width == 0 || h.height == 0))) {
            m->unknown++;
            if (fmt != IMGHDR_UNKNOWN)
                add_format(m, imghdr_format_name(fmt));
            continue;
        }
        add_format(m, imghdr_format_name(fmt));
        if (fmt == IMGHDR_WAV) {
            widen(&m->rate_min, &m->rate_max, h.sample_rate, first_audio);
            widen(&m->channels_min, &m->channels_max, h.channels, first_channels);
            first_channels = false;
            first_audio = false;
            continue;
        }
        widen(&m->width_min, &m->width_max, h.width, first_image);
        widen(&m->height_min, &m->height_max, h.height, first_image);
        widen(&m->channels_min, &m->channels_max, h.channels, first_channels);
        first_channels = false;
        first_image = false;
    }
}

json_t *profile_media_to_json(const struct profile_media *m, enum task_file_kind kind)
{
    json_t *o = json_pack("{s:I,s:I,s:s}", "sampled", (json_int_t)m->sampled, "unknown", (json_int_t)m->unknown,
                          "formats", m->formats);
    if (m->sampled > m->unknown) {
        json_object_set_new(o, "channels", json_pack("{s:i,s:i}", "min", (int)m->channels_min, "max",
                                                     (int)m->channels_max));
        if (kind == TASK_KIND_AUDIO)
            json_object_set_new(o, "sample_rate", json_pack("{s:i,s:i}", "min", (int)m->rate_min, "max",
                                                            (int)m->rate_max));
        else
            json_object_set_new(o, "size", json_pack("{s:i,s:i,s:i,s:i}", "width_min", (int)m->width_min,
                                                     "width_max", (int)m->width_max, "height_min",
                                                     (int)m->height_min, "height_max", (int)m->height_max));
    }
    return o;
}

static void put_range(struct buf *b, unsigned lo, unsigned hi)
{
    if (lo == hi)
        buf_printf(b, "%u", lo);
    else
        buf_printf(b, "%u-%u", lo, hi);
}

char *profile_media_text(const struct profile_media *m, enum task_file_kind kind)
{
    struct buf b = {0};
    buf_puts(&b, m->formats[0] ? m->formats : "unrecognised format");
    if (m->sampled > m->unknown) {
        buf_puts(&b, ", ");
        if (kind == TASK_KIND_AUDIO) {
            put_range(&b, m->rate_min, m->rate_max);
            buf_puts(&b, " Hz, ");
        } else {
            put_range(&b, m->width_min, m->width_max);
            buf_puts(&b, " x ");
            put_range(&b, m->height_min, m->height_max);
            buf_puts(&b, " px, ");
        }
        put_range(&b, m->channels_min, m->channels_max);
        buf_puts(&b, m->channels_max == 1 ? " channel" : " channels");
        if (kind != TASK_KIND_AUDIO && m->channels_max == 1)
            buf_puts(&b, " (grey)");
        else if (kind != TASK_KIND_AUDIO && m->channels_min >= 3)
            buf_puts(&b, " (colour)");
    }
    buf_printf(&b, " (headers of %lld sampled file%s", m->sampled, m->sampled == 1 ? "" : "s");
    if (m->unknown)
        buf_printf(&b, ", %lld unreadable", m->unknown);
    buf_putc(&b, ')');
    return buf_detach(&b);
}
