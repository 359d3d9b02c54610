/*
 * analyze.c — ANALYZE of a pulsora foreign table: the page count PostgreSQL
 * scales its estimates by, from the owner's row count, and a sample of
 * targrows rows taken with Vitter's reservoir algorithm, as PostgreSQL's
 * own ANALYZE does, over one unordered scan of the whole table.
 *
 * Invariants: the sample reads every row once (the owner streams them in
 * batches, so memory stays at the sample plus one batch); total rows are
 * the rows seen, and there are never dead rows.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "commands/vacuum.h"
#include "utils/rel.h"
#include "utils/sampling.h"

#include "pulsora_fdw.h"

/* Rough stored row size for the page estimate. */
#define PULSORA_ROW_BYTES 64

static int
pulsora_acquire_sample_rows(Relation relation, int elevel, HeapTuple *rows, int targrows,
							double *totalrows, double *totaldeadrows)
{
	TupleDesc	desc = RelationGetDescr(relation);
	ForeignServer *server = GetForeignServer(GetForeignTable(RelationGetRelid(relation))->serverid);
	PulsoraConn *conn = pulsora_connect(server);
	PulsoraTableInfo info;
	PulsoraColumnMap map;
	PulsoraReadSpec spec;
	PulsoraReader *reader;
	ReservoirStateData rstate;
	Datum	   *values = palloc(sizeof(Datum) * Max(desc->natts, 1));
	bool	   *isnull = palloc(sizeof(bool) * Max(desc->natts, 1));
	const char **names = palloc(sizeof(char *) * Max(desc->natts, 1));
	ps_type    *types = palloc(sizeof(ps_type) * Max(desc->natts, 1));
	AttrNumber *attnos = palloc(sizeof(AttrNumber) * Max(desc->natts, 1));
	double		seen = 0;
	double		rowstoskip = -1;
	int			numrows = 0;

	memset(&spec, 0, sizeof spec);
	spec.table = pulsora_table_name(RelationGetRelid(relation));
	pulsora_table_info(conn, spec.table, false, &info);
	pulsora_map_columns(relation, &info, &map, false);
	for (int i = 0; i < map.natts; i++)
		if (map.store_name[i] != NULL && i + 1 != map.time_attno)
		{
			names[spec.ncolumns] = map.store_name[i];
			types[spec.ncolumns] = map.store_type[i];
			attnos[spec.ncolumns] = i + 1;
			spec.ncolumns++;
		}
	spec.columns = names;
	spec.types = types;
	spec.attnos = attnos;
	spec.time_attno = map.time_attno;
	spec.natts = desc->natts;
	spec.lo_ns = PG_INT64_MIN;
	spec.hi_ns = PG_INT64_MAX;
	spec.limit = -1;
	spec.unordered = true;		/* a sample needs no order */

	reservoir_init_selection_state(&rstate, targrows);
	reader = pulsora_reader_open(conn, &spec);
	while (pulsora_reader_next(reader, values, isnull))
	{
		vacuum_delay_point();
		if (numrows < targrows)
			rows[numrows++] = heap_form_tuple(desc, values, isnull);
		else
		{
			/* Vitter's algorithm, as in PostgreSQL's own ANALYZE. */
			if (rowstoskip < 0)
				rowstoskip = reservoir_get_next_S(&rstate, seen, targrows);
			if (rowstoskip <= 0)
			{
				int			k = (int) (targrows * sampler_random_fract(&rstate.randstate));

				heap_freetuple(rows[k]);
				rows[k] = heap_form_tuple(desc, values, isnull);
			}
			rowstoskip -= 1;
		}
		seen += 1;
	}
	pulsora_reader_close(reader);

	*totalrows = seen;
	*totaldeadrows = 0;
	ereport(elevel,
			(errmsg("\"%s\": pulsora table \"%s\" contains %.0f rows; %d rows in sample",
					RelationGetRelationName(relation), spec.table, seen, numrows)));
	return numrows;
}

bool
pulsoraAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func, BlockNumber *totalpages)
{
	ForeignServer *server = GetForeignServer(GetForeignTable(RelationGetRelid(relation))->serverid);
	PulsoraConn *conn = pulsora_connect(server);
	PulsoraTableInfo info;
	double		pages;

	pulsora_table_info(conn, pulsora_table_name(RelationGetRelid(relation)), false, &info);
	pages = ceil((double) info.row_count * PULSORA_ROW_BYTES / BLCKSZ);
	*totalpages = (BlockNumber) Max(1, Min(pages, (double) MaxBlockNumber));
	*func = pulsora_acquire_sample_rows;
	return true;
}
