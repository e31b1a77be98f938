#!/usr/bin/perl
# asciiuser_policy.pl - a Postfix policy service for master.cf spawn that
# looks SASL users up in a table keyed by ASCII names: it lets test1 relay
# and rejects other authenticated users. A user name with a byte outside
# ASCII (a UTF-8 name such as "jörg", which Postfix passes on when SMTPUTF8
# is on) trips its sanity check, and it dies without answering: Postfix
# tries again, then answers 451 4.3.5 to that user every time.
# Usage: asciiuser_policy.pl
use strict;
use warnings;

$| = 1;
my %attr;
while (my $line = <STDIN>) {
	chomp $line;
	if ($line ne '') {
		my ($name, $value) = split /=/, $line, 2;
		$attr{$name} = $value // '' unless exists $attr{$name};
		next;
	}
	my $user = $attr{sasl_username} // '';
	die "asciiuser_policy: bad user name\n" if $user =~ /[^\x00-\x7f]/;
	my $action = $user eq '' || $user eq 'test1' ? 'DUNNO' : 'REJECT 5.7.1 unknown user';
	print "action=$action\n\n";
	%attr = ();
}
