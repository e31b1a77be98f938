#!/usr/bin/perl
# farewell_policy.pl - a Postfix policy service for master.cf spawn, the way
# many are written in Perl: requests on STDIN, answers on STDOUT, each
# answered at once. It is correct, with one habit: when its connection
# ends it sleeps a moment (closing a database, say) and then writes a
# farewell warning to STDERR. Under spawn(8) STDERR is the same socket,
# which the client has closed by then, so the write raises SIGPIPE and
# the script dies of it. Every reply was delivered: Postfix sees nothing,
# and spawn(8) only logs "warning: command ... killed by signal 13".
#
# Senders of the domain spam.example get REJECT, everything else DUNNO.
# Usage: farewell_policy.pl
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
	my $sender = $attr{sender} // '';
	my $action = $sender =~ /\@spam\.example$/i ? 'REJECT sender not accepted' : 'DUNNO';
	print "action=$action\n\n";
	%attr = ();
}
select(undef, undef, undef, 0.05);
print STDERR "farewell_policy: warning: connection closed, $_ requests left in the log queue\n"
	for 1 .. 200;
exit 0;
