/* Unit tests of lib/html: data written into a page, where no record can
 * close its element or start markup. */
#include <stdio.h>
#include <stdlib.h>

#include "html.h"
#include "unit.h"

/* page_of and json_of return what ev_html_page and ev_html_json wrote, in
 * a block the caller frees, with its length in '*n' and their result in
 * '*rc'. */
static char *
page_of(const char *page, const char *marker, jv data, int *rc, size_t *n)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, n);
    *rc = ev_html_page(f, (const unsigned char *)page, strlen(page), marker, data);
    fclose(f);
    return buf;
}

static char *
json_of(jv data, int *rc, size_t *n)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, n);
    *rc = ev_html_json(f, data);
    fclose(f);
    return buf;
}

static void
test_escapes(void)
{
    const char *hostile = "</script><script>x()</script><!-- a & b > c \xe2\x80\xa8 d \xe2\x80\xa9";
    int rc;
    size_t n;
    char *s = json_of(JV_OBJECT(jv_string("k"), jv_string(hostile)), &rc, &n);
    CHECK(rc == 0, "the data is written");
    CHECK(strchr(s, '<') == NULL && strchr(s, '>') == NULL && strchr(s, '&') == NULL,
          "no '<', '>' or '&' is left in the JSON");
    CHECK(strstr(s, "\xe2\x80\xa8") == NULL && strstr(s, "\xe2\x80\xa9") == NULL,
          "no line or paragraph separator is left");
    CHECK(strstr(s, "\\u003c/script\\u003e") != NULL, "'</script>' is written as \\u escapes");
    jv back = jv_parse(s);
    jv want = JV_OBJECT(jv_string("k"), jv_string(hostile));
    CHECK(jv_equal(back, want), "the JSON reads back as the data, unchanged");
    free(s);

    s = json_of(JV_ARRAY(jv_number(1.5), jv_null(), jv_string("plain")), &rc, &n);
    CHECK_STR(s, "[1.5,null,\"plain\"]", "data without those characters is written as it is");
    free(s);
}

static void
test_page(void)
{
    int rc;
    size_t n;
    char *s = page_of("<p>@D@</p><i>@D@</i>", "@D@", jv_string("<b>"), &rc, &n);
    CHECK(rc == 0, "a page with its marker is written");
    CHECK_STR(s, "<p>\"\\u003cb\\u003e\"</p><i>@D@</i>", "the first marker gives way to the data");
    CHECK(n == strlen(s), "the page is written whole");
    free(s);

    s = page_of("<p>no marker</p>", "@D@", jv_true(), &rc, &n);
    CHECK(rc == -1 && n == 0, "a page without its marker is an error, and nothing is written");
    free(s);

    FILE *full = fopen("/dev/full", "w");
    if (full != NULL) {
        setvbuf(full, NULL, _IONBF, 0);
        rc = ev_html_page(full, (const unsigned char *)"<p>@D@</p>", 10, "@D@", jv_true());
        CHECK(rc == -1, "a failed write is an error");
        fclose(full);
    }
}

int
main(void)
{
    test_escapes();
    test_page();
    UNIT_DONE();
}
