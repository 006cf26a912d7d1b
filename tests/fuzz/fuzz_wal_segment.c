/*
 * fuzz_wal_segment.c - the WAL reader (tsdb/wal_reader.c) over an arbitrary
 * segment: never crashes, reads out of bounds or leaks; stops with a clean
 * end or a corruption whose position lies inside the input; every record it
 * returns goes through the record decoders.
 */
#include "tsdb/record.h"
#include "tsdb/wal.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wal_reader *r = wal_reader_open_mem(data, size);
	if (!r)
		return 0;
	arena a;
	arena_init(&a);
	const uint8_t *rec;
	size_t len, n;
	err e;
	int rc;
	while ((rc = wal_reader_next(r, &rec, &len, &e)) == 1) {
		if (wal_reader_offset(r) < 0 || wal_reader_offset(r) >= (int64_t)size)
			abort();
		record_series *s;
		record_sample *sm;
		if (record_type(rec, len) == RECORD_SERIES)
			(void)record_decode_series(rec, len, &a, &s, &n, NULL);
		else if (record_type(rec, len) == RECORD_SAMPLES)
			(void)record_decode_samples(rec, len, &a, &sm, &n, NULL);
		arena_reset(&a);
	}
	const wal_corruption *c = wal_reader_corruption(r);
	if (rc == FL_ECORRUPT && (!c || c->offset < 0 || c->offset > (int64_t)size || !c->msg[0]))
		abort();
	if (wal_reader_next(r, &rec, &len, &e) != (rc == 1 ? 0 : rc)) /* sticky */
		abort();
	wal_reader_close(r);
	return 0;
}
