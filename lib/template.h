/*
 * template.h: prompts built from a record's fields.
 *
 * Ownership: json.h.
 *
 * A template is text with placeholders: {{field}} or a dotted path such as
 * {{meta.lang}}. Spaces inside the braces are allowed; a path is names of
 * letters, digits, '_' and '-' joined by dots, and a name of digits indexes
 * an array ({{input.0.content}}). A string is inserted as it is and any
 * other value as compact JSON. Every "{{" must open a placeholder: a
 * malformed one is an error when the template is read, and a path the
 * record does not have is an error when it is filled.
 */
#ifndef EV_TEMPLATE_H
#define EV_TEMPLATE_H

#include <stddef.h>

#include <jv.h>

typedef struct ev_template ev_template;

/* ev_template_load reads the file 'path'. On failure it returns NULL and
 * sets '*err' to an invalid with a message naming the file (and the line of
 * a malformed placeholder). */
ev_template *ev_template_load(const char *path, jv *err);

/* ev_template_parse reads a template from the 'len' bytes at 'text'; 'name'
 * is how messages name it. */
ev_template *ev_template_parse(const char *name, const char *text, size_t len, jv *err);

/* ev_template_render fills the template from 'rec' (borrowed) and returns
 * the text, or an invalid with a message naming the template and the
 * placeholder the record cannot fill. */
jv ev_template_render(const ev_template *t, jv rec /* borrowed */);

void ev_template_free(ev_template *t);

#endif
