#include "sheet.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "alloc.h"
#include "diag.h"
#include "spill.h"

struct ev_sheet {
    FILE *f;
    off_t *at; /* where section i starts; at[n] is the end of the last */
    size_t n, cap;
    uint32_t *head, *sec; /* (heading, section) pairs, in the order filed */
    size_t npairs, cappairs;
    uint32_t *last; /* per heading: 1 + the last section filed under it, or 0 */
    size_t nheads;  /* headings seen: one more than the highest number */
    /* Once sealed, the sections of heading h are by[first[h]] to
     * by[first[h + 1] - 1]. */
    bool sealed;
    size_t *first;
    uint32_t *by;
};

ev_sheet *
ev_sheet_new(jv *err)
{
    FILE *f = ev_spill_open(err);
    if (f == NULL)
        return NULL;
    ev_sheet *s = ev_alloc_zero(1, sizeof(*s));
    s->f = f;
    s->cap = 256;
    s->at = ev_alloc_array(NULL, s->cap, sizeof(*s->at));
    s->at[0] = 0;
    return s;
}

void
ev_sheet_free(ev_sheet *s)
{
    if (s == NULL)
        return;
    fclose(s->f);
    free(s->at);
    free(s->head);
    free(s->sec);
    free(s->last);
    free(s->first);
    free(s->by);
    free(s);
}

FILE *
ev_sheet_out(ev_sheet *s)
{
    return s->f;
}

static void
grow_heads(ev_sheet *s, uint32_t h)
{
    size_t cap = s->nheads ? s->nheads : 16;
    while (cap <= h)
        cap *= 2;
    s->last = ev_alloc_array(s->last, cap, sizeof(*s->last));
    memset(s->last + s->nheads, 0, (cap - s->nheads) * sizeof(*s->last));
    s->nheads = cap;
}

void
ev_sheet_file(ev_sheet *s, const uint32_t *heads, size_t n)
{
    if (s->n >= UINT32_MAX - 1)
        ev_diag_out_of_memory(); /* four billion sections: beyond any eval set */
    if (s->n + 2 > s->cap) {
        s->cap *= 2;
        s->at = ev_alloc_array(s->at, s->cap, sizeof(*s->at));
    }
    uint32_t sec = (uint32_t)s->n++;
    s->at[s->n] = ftello(s->f);
    for (size_t i = 0; i < n; i++) {
        uint32_t h = heads[i];
        if (h >= s->nheads)
            grow_heads(s, h);
        if (s->last[h] == sec + 1)
            continue;
        s->last[h] = sec + 1;
        if (s->npairs == s->cappairs) {
            s->cappairs = s->cappairs ? 2 * s->cappairs : 256;
            s->head = ev_alloc_array(s->head, s->cappairs, sizeof(*s->head));
            s->sec = ev_alloc_array(s->sec, s->cappairs, sizeof(*s->sec));
        }
        s->head[s->npairs] = h;
        s->sec[s->npairs] = sec;
        s->npairs++;
    }
}

/* seal groups the sections by heading, keeping the order they were filed
 * in: a counting sort of the pairs. */
static void
seal(ev_sheet *s)
{
    s->sealed = true;
    s->first = ev_alloc_zero(s->nheads + 1, sizeof(*s->first));
    for (size_t i = 0; i < s->npairs; i++)
        s->first[s->head[i] + 1]++;
    for (size_t h = 0; h < s->nheads; h++)
        s->first[h + 1] += s->first[h];
    size_t *next = ev_alloc_array(NULL, s->nheads + 1, sizeof(*next));
    memcpy(next, s->first, (s->nheads + 1) * sizeof(*next));
    s->by = ev_alloc_array(NULL, s->npairs + 1, sizeof(*s->by));
    for (size_t i = 0; i < s->npairs; i++)
        s->by[next[s->head[i]]++] = s->sec[i];
    free(next);
    free(s->head);
    free(s->sec);
    s->head = s->sec = NULL;
}

/* copy_range copies the bytes from 'start' to 'end' of 'from' to 'out'. */
static int
copy_range(FILE *from, off_t start, off_t end, FILE *out, jv *err)
{
    char buf[16384];
    if (fseeko(from, start, SEEK_SET) != 0)
        goto unread;
    for (off_t left = end - start; left > 0;) {
        size_t want = left < (off_t)sizeof(buf) ? (size_t)left : sizeof(buf);
        size_t got = fread(buf, 1, want, from);
        if (got == 0)
            goto unread;
        if (fwrite(buf, 1, got, out) != got) {
            *err = jv_string_fmt("cannot write the sheet: %s", strerror(errno));
            return -1;
        }
        left -= (off_t)got;
    }
    return 0;
unread:
    *err = jv_string_fmt("cannot read back the temporary file: %s",
                         ferror(from) ? strerror(errno) : "it is shorter than written");
    return -1;
}

int
ev_sheet_copy(ev_sheet *s, uint32_t head, FILE *out, jv *err)
{
    if (!s->sealed) {
        if (fflush(s->f) != 0 || ferror(s->f)) {
            *err = jv_string_fmt("cannot write the temporary file: %s", strerror(errno));
            return -1;
        }
        seal(s);
    }
    if (head >= s->nheads)
        return 0;
    for (size_t i = s->first[head]; i < s->first[head + 1]; i++) {
        uint32_t sec = s->by[i];
        if (copy_range(s->f, s->at[sec], s->at[sec + 1], out, err) != 0)
            return -1;
    }
    return 0;
}
