#!/bin/sh
# one normal line, a 10 MB line (over the limit), one normal line
printf 'before\n'
head -c 10485760 /dev/zero | tr '\0' 'a'
printf '\nafter Bearer abcdefgh12345\n'
