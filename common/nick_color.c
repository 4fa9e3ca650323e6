/* SPDX-License-Identifier: MIT */
#include "nick_color.h"

#include <stdint.h>
#include <string.h>

#include "fnv.h"

static unsigned color_of_hash(uint32_t hash)
{
	/* Colours of the 6x6x6 cube that read well on dark and light
	 * backgrounds alike: no near-black, near-white or grey. */
	static const unsigned char palette[] = {
		31, 32, 33, 37, 38, 39, 41, 42, 43, 61, 62, 63, 64, 65, 66, 67,
		68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 97, 98, 99,
		100, 101, 103, 104, 105, 106, 107, 108, 109, 110, 112, 113, 114,
		127, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139,
		140, 141, 142, 143, 160, 161, 162, 163, 164, 165, 166, 167, 168,
		169, 170, 171, 172, 173, 174, 175, 176, 177, 178, 179, 180, 202,
		203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, 214, 215,
	};
	return palette[hash % sizeof palette];
}

unsigned nick_color(const char *key)
{
	return color_of_hash(fnv1a32(FNV1A32_INIT, key, strlen(key)));
}

unsigned room_color(const char *network, const char *room)
{
	uint32_t h = fnv1a32(FNV1A32_INIT, network, strlen(network));
	h = fnv1a32(h, ":", 1);
	return color_of_hash(fnv1a32(h, room, strlen(room)));
}
