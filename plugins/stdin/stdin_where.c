/* SPDX-License-Identifier: MIT */
#include "stdin_where.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *stdin_where_prompt(const char *prompt, const char *room)
{
	char *shown;
	if (!room || !*room)
		return strdup(prompt);
	return asprintf(&shown, "[%s] %s", room, prompt) < 0 ? NULL : shown;
}
