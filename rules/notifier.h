/*
 * notifier.h - alerts to Alertmanager (Prometheus notifier/notifier.go):
 * a bounded queue filled by rule evaluation, drained by its own thread in
 * batches of 64 POSTed to /api/v2/alerts of every discovered Alertmanager.
 * A slow or unreachable Alertmanager delays only this thread: enqueueing
 * never waits for the network.
 */
#ifndef FL_RULES_NOTIFIER_H
#define FL_RULES_NOTIFIER_H

#include "lib/buf.h"
#include "rules/group.h"
#include "scrape/config.h"

#define NOTIFIER_QUEUE_CAPACITY 10000 /* --alertmanager.notification-queue-capacity */
#define NOTIFIER_MAX_BATCH 64         /* notifier.go maxBatchSize */

typedef struct notifier notifier;

/* external_url is copied (generatorURL's base). */
notifier *notifier_new(int64_t queue_capacity, const char *external_url, err *e);
/* Stop the thread; queued alerts are dropped. Safe twice. */
void notifier_stop(notifier *n);
void notifier_free(notifier *n);

/*
 * Take a config's alerting section: Alertmanager sets (static and file SD
 * targets, relabeled), alert_relabel_configs, and external_labels. Returns
 * once the notifier no longer uses the previous config; c must stay alive
 * until the next apply or free (the config's owner swaps them in order).
 * Starts the thread on the first call.
 */
int notifier_apply(notifier *n, const scrape_config *c, err *e);

/* Queue alerts of one rule (rule_notify_fn): external labels added where
 * absent, alert_relabel_configs applied, generatorURL from expr. Never
 * blocks on the network; overflow drops the oldest, counted. */
void notifier_send(void *n, const char *expr, const rule_notify_alert *a, size_t count);

/* Alertmanagers for /api/v1/alertmanagers: urls of active and dropped
 * ones (copied into a). */
void notifier_alertmanagers(notifier *n, arena *a, const char ***active, size_t *n_active, const char ***dropped,
			    size_t *n_dropped);

/* prometheus_notifications_* in exposition text. */
void notifier_metrics(notifier *n, buf *b);

#endif
