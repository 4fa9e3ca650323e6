/* SPDX-License-Identifier: MIT */
/* FNV-1a, the one hash of the tree's digests and keys.  Its values are
 * stored (history keys, the MQTT client id's lock files), so they never
 * change; to continue a hash pass the previous result as `h`.  Its low bits
 * are weak: stir before using them as an index. */
#ifndef MQC_COMMON_FNV_H
#define MQC_COMMON_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A32_INIT UINT32_C(2166136261)
#define FNV1A64_INIT UINT64_C(0xcbf29ce484222325)

static inline uint32_t fnv1a32(uint32_t h, const void *bytes, size_t len)
{
	const unsigned char *p = bytes;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * UINT32_C(16777619);
	return h;
}

static inline uint64_t fnv1a64(uint64_t h, const void *bytes, size_t len)
{
	const unsigned char *p = bytes;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	return h;
}

#endif
