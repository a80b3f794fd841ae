/*
 * html_page.h: the parts of `--format html` beyond the page's frame
 * (report_html.c): the data the page's script reads, one JSON object, and
 * the script and style themselves. Nothing here reaches outside the page.
 *
 * Must never: be used by any other report (the blob's keys are the page's
 * private contract with its script, not the SPEC's JSON).
 */
#ifndef HS_HTML_PAGE_H
#define HS_HTML_PAGE_H

#include <stdio.h>

#include "analyze/model.h"

/* The page's data as one JSON object (html_data.c), every '<' written as
 * \u003c so that no string from the profile can close the <script>
 * element holding it. */
void hs_html_data(FILE *out, struct hs_model *m);

/* The page's script and style (html_script.c), written by heapspy's
 * authors: no library, no reference to anything outside the page. */
extern const char hs_html_script[];
extern const char hs_html_style[];

#endif
