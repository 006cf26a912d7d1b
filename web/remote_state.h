/*
 * remote_state.h - the remote-write/read receiver's counters and remote-read
 * gate, embedded by value in web_env (env->remote_st) so that they live and
 * die with it: all-zero is the initial state (web_env_init clears the env),
 * nothing to allocate or free. Only web/remote*.c and web/self_metrics.c
 * touch the fields, through web/remote.h.
 *
 * Every field is a C11 atomic: the counters are statistics (relaxed), and
 * the gate is a compare-and-swap on read_active (see remote_read_gate_enter).
 */
#ifndef FL_WEB_REMOTE_STATE_H
#define FL_WEB_REMOTE_STATE_H

#include <stdatomic.h>
#include <stdint.h>

typedef struct remote_state {
	_Atomic uint64_t samples_written;        /* float samples appended and committed */
	_Atomic uint64_t samples_rejected;       /* series with out of order / duplicate / out of bounds samples */
	_Atomic uint64_t invalid_labels_samples; /* prometheus_api_remote_write_invalid_labels_samples_total */
	_Atomic uint64_t histograms_dropped;     /* native histograms (not stored yet) */
	_Atomic uint64_t exemplars_dropped;      /* exemplars (not stored yet) */
	_Atomic uint64_t read_queries;           /* remote read requests served */
	_Atomic int read_active;                 /* remote reads executing */
	_Atomic int read_waiting;                /* remote reads queued for a slot */
} remote_state;

#endif
