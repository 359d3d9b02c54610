# results.gp — the chart of `make bench` (test/bench/run.sh): two bars per
# figure on a log scale, Pulsora / PostgreSQL (solid) and Pulsora / DuckDB
# (light), each green where its target (issues 4 and 9) is met, red where
# it is not, grey where there is no target or no figure; the black dash on
# a bar is its target.
#
#   gnuplot -e "ymin=0.1; ymax=10; datafile='F'; outfile='results.svg'; subtitle='...'" results.gp
#
# ymin and ymax bound the log axis (run.sh picks whole decades around the data).
#
# datafile: tab-separated, one figure a line:
#   label line 1, label line 2, target text vs PostgreSQL, target text vs DuckDB,
#   ratio vs PostgreSQL, its target, its status, ratio vs DuckDB, its target, its status
# status: 1 met, 0 not met, 2 neither; a missing ratio or target is NaN.
# Figures with an absolute target (owner RSS, latest 100 ticks) have, in
# place of the PostgreSQL bar, the figure over its budget (target 1).

set terminal svg size 1700,650 dynamic enhanced font "Helvetica,13" background rgb "white"
set output outfile
set datafile separator "\t"
set datafile missing "NaN"
set title "Pulsora / PostgreSQL 15 and Pulsora / DuckDB, same data, same machine\n{/*0.8 ".subtitle."}\n{/*0.8 (owner RSS and latest-100 bars: the figure over its budget, 300 MB and 0.5 ms)}"
set logscale y 10
set yrange [ymin:ymax]
set ylabel "ratio Pulsora / other (log scale)"
set format y "%g×"
set grid ytics lc rgb "#dddddd"
set border 3
set bmargin 7
set xtics nomirror scale 0 font ",11"
set ytics nomirror
set xrange [-0.6:*]
set offsets 0, 0.6, 0, 0
set boxwidth 0.38
set key outside top center horizontal

bar_colour(status) = status == 1 ? 0x2e8b57 : (status == 0 ? 0xd43f3a : 0x9a9a9a)
w = 0.2		# half the distance between a figure's two bars

plot datafile using ($0 - w):5:(bar_colour($7)):xtic(sprintf("%s\n%s\n%s\n%s", strcol(1), strcol(2), strcol(3), strcol(4))) \
		with boxes lc rgb variable fs solid 0.85 noborder notitle, \
	'' using ($0 + w):8:(bar_colour($10)) with boxes lc rgb variable fs solid 0.3 border notitle, \
	'' using ($0 - w - 0.19):6:(0.38):(0) with vectors nohead lw 3 lc rgb "black" title "target", \
	'' using ($0 + w - 0.19):9:(0.38):(0) with vectors nohead lw 3 lc rgb "black" notitle, \
	'' using ($0 - w):5:(sprintf("%.2f", $5)) with labels offset 0, 0.7 font ",10" notitle, \
	'' using ($0 + w):8:(sprintf("%.2f", $8)) with labels offset 0, 0.7 font ",10" notitle, \
	1/0 with boxes lc rgb 0x9a9a9a fs solid 0.85 noborder title "vs PostgreSQL", \
	1/0 with boxes lc rgb 0x9a9a9a fs solid 0.3 border title "vs DuckDB", \
	1/0 with boxes lc rgb 0x2e8b57 fs solid 0.85 noborder title "met", \
	1/0 with boxes lc rgb 0xd43f3a fs solid 0.85 noborder title "not met", \
	1/0 with boxes lc rgb 0x9a9a9a fs solid 0.85 noborder title "no target"
