#!/usr/bin/perl
# quote_policy.pl - a Postfix policy service for master.cf spawn that looks
# senders up in a sender access list through a query it builds by
# interpolation, as many small scripts do:
#
#   SELECT action FROM senders WHERE address = '$sender'
#
# It is safe from injection (its own query parser refuses what it cannot
# read) but not from its refusal: a sender with a quote (o'brien@example.com
# is a valid address, and any SMTP client may send one) makes the query
# unreadable, the lookup dies, and the script with it. Postfix tries once
# more, then answers 451 4.3.5 to that client, every time. Its answers are
# otherwise right: senders of the domain spam.example get REJECT, the rest
# DUNNO, so no payload ever gets more access than its control.
# Usage: quote_policy.pl
use strict;
use warnings;

my %senders = ('spammer@spam.example' => 'REJECT sender not accepted');

sub lookup {
	my ($sender) = @_;
	my $query = "SELECT action FROM senders WHERE address = '$sender'";
	my @quotes = $query =~ /'/g;
	die "quote_policy: cannot parse query: $query\n" if @quotes != 2;
	return 'REJECT sender not accepted' if $sender =~ /\@spam\.example$/i;
	return $senders{lc $sender} // 'DUNNO';
}

$| = 1;
$/ = "\n\n";	# a whole request at a time: its lines up to the empty one
while (my $request = <STDIN>) {
	last unless $request =~ /\n\n\z/;	# cut short: the client left
	my %attr = map { my ($n, $v) = split /=/, $_, 2; ($n => $v // '') }
		reverse split /\n/, $request;
	print 'action=', lookup($attr{sender} // ''), "\n\n";
}
exit 0;
