#!/usr/bin/perl
# hashes.pl - Perl allocation workload of the heapspy bench.
#
# Builds hashes of hashes (of arrays) from generated records, sorts them
# several ways, runs regex extraction/substitution over generated lines,
# and rebuilds/destroys the structures each round, keeping a small rolling
# cache alive.  Debian's perl uses the system malloc, so all of this goes
# through libc malloc/free.  Deterministic: own LCG, no srand/rand.
#
# usage: perl hashes.pl [ROUNDS]     (default 8, ~2-3 s natively)
use strict;
use warnings;

my @WORDS = qw(alpha bravo charlie delta echo foxtrot golf hotel india juliet
               kilo lima mike november oscar papa quebec romeo sierra tango
               uniform victor whiskey xray yankee zulu);
my $seed = 42;
sub rnd { my $n = shift; $seed = ($seed * 1103515245 + 12345) % 2147483648; return $seed % $n; }

my $rounds = shift(@ARGV) // 8;
my @cache;
my $check = 0;

for my $round (1 .. $rounds) {
    my %db;    # group -> key -> { count, vals => [...], label }
    for my $i (1 .. 20000) {
        my $g = $WORDS[rnd(scalar @WORDS)];
        my $k = $WORDS[rnd(scalar @WORDS)] . "_" . rnd(500);
        my $rec = ($db{$g}{$k} //= { count => 0, vals => [], label => uc($k) . "-$round" });
        $rec->{count}++;
        push @{ $rec->{vals} }, rnd(100000);
    }

    # sorts: groups by size, keys by count then name, values numerically
    for my $g (sort { scalar(keys %{ $db{$b} }) <=> scalar(keys %{ $db{$a} }) || $a cmp $b } keys %db) {
        my $h = $db{$g};
        my @keys = sort { $h->{$b}{count} <=> $h->{$a}{count} || $a cmp $b } keys %$h;
        for my $k (@keys[0 .. ($#keys < 9 ? $#keys : 9)]) {
            my @v = sort { $a <=> $b } @{ $h->{$k}{vals} };
            $check += $v[0] + $v[-1] + scalar(@v);
        }
    }

    # regex work over generated log lines
    my @lines;
    for my $i (1 .. 15000) {
        my $w = $WORDS[rnd(scalar @WORDS)];
        push @lines, sprintf("%s user=%s id=%d took %dms path=/%s/%s/%d",
                             ($i % 7 ? "INFO" : "WARN"), $w, $i, rnd(5000),
                             $WORDS[rnd(scalar @WORDS)], $w, rnd(100));
    }
    my (%by_user, %slow);
    for my $l (@lines) {
        if ($l =~ /^(\w+) user=(\w+) id=(\d+) took (\d+)ms path=(\S+)/) {
            push @{ $by_user{$2} }, $3;
            $slow{$5} = $4 if $4 > 4000;
        }
        (my $m = $l) =~ s/(\d+)/<$1>/g;
        $check += length($m);
    }
    my $joined = join(";", map { "$_:" . scalar(@{ $by_user{$_} }) } sort keys %by_user);
    $check += length($joined) + scalar(keys %slow);

    # split/join/reverse churn
    my @toks = split /[\s=\/]+/, join(" ", @lines[0 .. 2999]);
    my %freq;
    $freq{$_}++ for @toks;
    my @top = (sort { $freq{$b} <=> $freq{$a} || $a cmp $b } keys %freq)[0 .. 19];
    push @cache, [ @top ], substr($joined, 0, 500);
    shift @cache while @cache > 10;
}

print "hashes: $rounds rounds, checksum $check\n";
