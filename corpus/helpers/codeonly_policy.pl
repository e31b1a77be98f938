#!/usr/bin/perl
# codeonly_policy.pl - a Postfix policy service for master.cf spawn that
# decides who may relay: clients of 127.0.0.0/8 and the known SASL user
# test1 get DUNNO, other clients "554 5.7.1 not from your network".
#
# Its bug is on the reject path only: an authenticated user it does not
# know is refused with a bare "554", which looks like a reject but is an
# all-digit action: Postfix reads it as OK and lets the client relay. The
# first reply (Postfix's RCPT request from 127.0.0.1) is a plain DUNNO, so
# only a run that looks for the requests the service refuses can see it.
# Usage: codeonly_policy.pl
use strict;
use warnings;

my %known = (test1 => 1);
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
	my $client = $attr{client_address} // '';
	my $action;
	if ($user ne '') {
		$action = $known{$user} ? 'DUNNO' : '554';
	} elsif ($client =~ /^127\./) {
		$action = 'DUNNO';
	} else {
		$action = '554 5.7.1 not from your network';
	}
	print "action=$action\n\n";
	%attr = ();
}
