/*
 * async.c — async foreign scans (PostgreSQL 14+): an Append over foreign
 * partitions on several owners asks all of them for rows at once and takes
 * rows from whichever answers first, instead of scanning one partition after
 * another (DESIGN §7).
 *
 * A scan is async when its path is the child of an Append and option
 * async_capable (table, else server; default on) allows it: a scan of
 * rows, or the groups an owner computes for one partition (partitionwise
 * aggregation, upper_exec.c), whose AGGREGATE goes out the same way.
 * Such a scan opens
 * deferred (the first batch comes with the open's answer) and never waits
 * for its own answer in IterateForeignScan: it returns an empty slot, and
 * the callbacks here turn that into a pending request.  ConfigureWait adds
 * the connection's socket (WL_SOCKET_READABLE) to the Append's wait; Notify
 * reads what has arrived without blocking (ps_client_scan_poll) and, once
 * the batch is whole, produces a row.  The Append's wait also watches the
 * process latch, so query cancel and statement_timeout interrupt it; every
 * other wait for an owner goes through the connection's wait check
 * (connection.c).
 *
 * Connections: one per data directory and backend, as every other use
 * (DESIGN §1), not one per scan.  Partitions on different owners — the
 * case scale-out is about — have different connections and so run
 * concurrently.  Partitions on the same owner share one: as in
 * postgres_fdw, only one answer is in flight per connection (the client
 * keeps at most one owed, ps_client.h), and a scan that needs the
 * connection while another scan's answer is owed waits its turn, reading
 * that answer into the other scan's buffer first; that scan then finds its
 * rows there without waiting.  Hence the invariants these callbacks rest
 * on: a pending scan whose answer is not on its way is ready (its rows, or
 * its error, arrived meanwhile), and at most one scan per connection
 * waits on that connection's socket, so no socket enters a wait set twice.
 * Writes of the transaction keep using the same connection: loads begun by
 * INSERT or COPY and committed at PRE_COMMIT settle any answer still owed
 * to a scan first, so scans and loads interleave on it as before.
 */
#include "postgres.h"

#include "executor/execAsync.h"
#include "executor/instrument.h"
#include "storage/latch.h"

#include "pulsora_fdw.h"
#include "upper.h"

bool
pulsoraIsForeignPathAsyncCapable(ForeignPath *path)
{
	RelOptInfo *rel = path->path.parent;

	/* Pushed aggregates: as the foreign table they aggregate. */
	if (IS_UPPER_REL(rel))
		rel = ((PulsoraUpperInfo *) rel->fdw_private)->input_rel;
	return ((PulsoraRelInfo *) rel->fdw_private)->async_capable;
}

/*
 * Produce the scan's next row for areq if it is there: the request is then
 * done (with an empty result at the end of the scan); if the row has not
 * arrived yet, the request is pending.
 */
static void
produce_row(AsyncRequest *areq)
{
	PlanState  *scan = areq->requestee;
	TupleTableSlot *slot;

	/*
	 * The node's own method, not ExecProcNode: ExecAsyncRequest and
	 * ExecAsyncNotify instrument the call (ConfigureWait counts its row).
	 */
	slot = scan->ExecProcNodeReal(scan);
	if (!TupIsNull(slot))
		ExecAsyncRequestDone(areq, slot);
	else if (pulsora_scan_finished((ForeignScanState *) scan))
		ExecAsyncRequestDone(areq, NULL);
	else
		ExecAsyncRequestPending(areq);
}

void
pulsoraForeignAsyncRequest(AsyncRequest *areq)
{
	produce_row(areq);
}

void
pulsoraForeignAsyncConfigureWait(AsyncRequest *areq)
{
	ForeignScanState *node = (ForeignScanState *) areq->requestee;
	AppendState *requestor = (AppendState *) areq->requestor;
	int			sock;

	Assert(areq->callback_pending);
	if ((sock = pulsora_scan_socket(node)) >= 0)
	{
		AddWaitEventToSet(requestor->as_eventset, WL_SOCKET_READABLE, sock, NULL, areq);
		return;
	}

	/*
	 * The rows arrived since the request went pending, read by another
	 * scan's call on the connection: answer without waiting, as
	 * postgres_fdw's complete_pending_request does.  Should the request go
	 * pending again, its socket waits from the Append's next round on: the
	 * call may have taken the connection from a scan already waiting on it
	 * in this one, and a socket must not enter a wait set twice.
	 */
	areq->callback_pending = false;
	produce_row(areq);
	ExecAsyncResponse(areq);
	if (areq->requestee->instrument)
		InstrUpdateTupleCount(areq->requestee->instrument, TupIsNull(areq->result) ? 0.0 : 1.0);
}

void
pulsoraForeignAsyncNotify(AsyncRequest *areq)
{
	/* The socket is readable: the batch may be whole now, or not yet. */
	produce_row(areq);
}
