# results.gp — the chart of `make bench` (test/bench/run.sh): one bar per
# figure, Pulsora / PostgreSQL on a log scale, green where the target of
# issue 4 is met, red where it is not, grey where there is no target or no
# figure; the black dash on each bar is its target.
#
#   gnuplot -e "ymin=0.1; ymax=10; datafile='F'; outfile='results.svg'; subtitle='...'" results.gp
#
# ymin and ymax bound the log axis (run.sh picks whole decades around the data).
#
# datafile: tab-separated, one figure a line:
#   label line 1 <TAB> label line 2 <TAB> target text <TAB> ratio <TAB> target <TAB> status
# status: 1 met, 0 not met, 2 neither; a missing ratio or target is NaN.
# The owner-RSS bars are the RSS over its 300 MB budget, not over PostgreSQL.

set terminal svg size 1300,600 dynamic enhanced font "Helvetica,13" background rgb "white"
set output outfile
set datafile separator "\t"
set datafile missing "NaN"
set title "Pulsora / PostgreSQL 15, same data, same machine\n{/*0.8 ".subtitle."}\n{/*0.8 (owner RSS bars: peak RSS / its 300 MB budget)}"
set logscale y 10
set yrange [ymin:ymax]
set ylabel "ratio Pulsora / PostgreSQL (log scale)"
set format y "%g×"
set grid ytics lc rgb "#dddddd"
set border 3
set bmargin 5.5
set xtics nomirror scale 0 font ",11"
set ytics nomirror
set xrange [-0.6:*]
set offsets 0, 0.6, 0, 0
set style fill solid 0.85 noborder
set boxwidth 0.6
set key outside top center horizontal

bar_colour(status) = status == 1 ? 0x2e8b57 : (status == 0 ? 0xd43f3a : 0x9a9a9a)

plot datafile using 0:4:(bar_colour($6)):xtic(sprintf("%s\n%s\n%s", strcol(1), strcol(2), strcol(3))) \
		with boxes lc rgb variable notitle, \
	'' using ($0 - 0.4):5:(0.8):(0) with vectors nohead lw 3 lc rgb "black" title "target", \
	'' using 0:4:(sprintf("%.2f", $4)) with labels offset 0, 0.8 font ",11" notitle, \
	1/0 with boxes lc rgb 0x2e8b57 title "met", \
	1/0 with boxes lc rgb 0xd43f3a title "not met", \
	1/0 with boxes lc rgb 0x9a9a9a title "no target"
