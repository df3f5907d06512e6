/* SPDX-License-Identifier: MIT */
/* Minimal SVG writing helpers shared by `amd trace --svg` and `amd bench --sweep`. */
#ifndef AMD_CLI_SVG_H
#define AMD_CLI_SVG_H

#include <stdio.h>

void cli_svg_begin(FILE *f, int width, int height);
void cli_svg_end(FILE *f);
/* Text with XML escaping; anchor "start" | "middle" | "end". */
void cli_svg_text(FILE *f, double x, double y, const char *anchor, int size, const char *fill,
                  const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* Write @p s with XML escaping. */
void cli_svg_escape(FILE *f, const char *s);
/* A round tick step (1, 2, 2.5, 5 x 10^k) giving about @p target ticks over @p range. */
double cli_svg_nice_step(double range, int target);

#endif
