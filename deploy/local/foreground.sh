#!/usr/bin/env bash
# foreground.sh CMD [ARG...]: runs CMD as the terminal's foreground job.
#
# make runs its recipes in its own process group, which a terminal's Ctrl-C
# reaches too: make then reports "Interrupt" and fails, however cleanly
# the recipe stopped. With job control on, bash gives CMD a process group
# of its own and the terminal, so Ctrl-C reaches CMD alone, CMD stops as
# it means to, and make sees its exit status. Without a terminal there is
# no Ctrl-C to route: CMD simply runs.
if [ -t 0 ] && [ -t 2 ]; then
	set -m
	"$@"
	exit $?
fi
exec "$@"
