/* SPDX-License-Identifier: MIT */
#include "random.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* One getrandom() per message id showed in profiles of a sender at full
 * speed: the pool spares it. */
void random_bytes(unsigned char *out, size_t n)
{
	static unsigned char pool[256];
	static size_t left;
	while (n) {
		if (!left) {
			size_t got = 0;
			while (got < sizeof pool) {
				ssize_t r = getrandom(pool + got, sizeof pool - got, 0);
				if (r > 0)
					got += (size_t)r;
				else if (errno != EINTR)
					abort(); /* the kernel has no entropy source: nothing sane to do */
			}
			left = sizeof pool;
		}
		size_t take = n < left ? n : left;
		memcpy(out, pool + sizeof pool - left, take);
		left -= take;
		out += take;
		n -= take;
	}
}

uint32_t random_word(void)
{
	uint32_t r;
	random_bytes((unsigned char *)&r, sizeof r);
	return r;
}

uint32_t random_below(uint32_t bound)
{
	return random_word() % bound;
}

uint32_t random_spread(uint32_t middle)
{
	return middle / 2 + random_below(middle);
}
