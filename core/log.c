/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <unistd.h>

#include "sanitize.h"
#include "strbuf.h"

static log_sink_fn sink;
static void *sink_data;
static bool in_sink; /* a line logged from inside the sink: standard error */

void log_set_sink(log_sink_fn fn, void *data)
{
	sink = fn;
	sink_data = data;
}

void log_print(const char *who, enum mqc_log_level level, const char *fmt, ...)
{
	static const char *const labels[] = {"error: ", "warning: ", "", ""};
	struct strbuf text = STRBUF_INIT, sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vprintf(&text, fmt, ap);
	va_end(ap);
	strbuf_appends(&sb, "mqchat: ");
	size_t start = sb.len;
	strbuf_printf(&sb, "%s%s%s", who ? who : "", who ? ": " : "",
	              labels[level <= MQC_LOG_DEBUG ? level : MQC_LOG_DEBUG]);
	/* What is logged may quote what came from outside. */
	sanitize_append(&sb, text.data ? text.data : "", text.len);
	if (sink && !in_sink) {
		in_sink = true;
		sink(sink_data, sb.data + start, level);
		in_sink = false;
	} else {
		strbuf_appendc(&sb, '\n');
		/* One write, so lines from different places never interleave. */
		if (write(STDERR_FILENO, sb.data, sb.len) < 0) {
			/* nowhere left to report to */
		}
	}
	strbuf_free(&text);
	strbuf_free(&sb);
}
