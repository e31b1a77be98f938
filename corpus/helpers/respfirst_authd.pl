#!/usr/bin/perl
# respfirst_authd.pl - a Dovecot-protocol auth daemon in Perl, forking one
# process per connection (or serving one connection on stdin/stdout, for
# master.cf spawn). Mechanism PLAIN, account test1 / pass1, replies
# tab-escaped, several pending requests, a CONT for an unknown id failed.
#
# Its bug: it was written against clients that always send the initial
# response, so "AUTH <id> PLAIN" without resp= gets FAIL (reason "missing
# initial response") instead of an empty challenge (CONT <id> and empty
# data). An SMTP client that sends "AUTH PLAIN", waits for 334 and then
# sends its credentials can never log in. Usage:
#   respfirst_authd.pl unix:/path | inet:host:port | -
use strict;
use warnings;
use IO::Socket::INET;
use IO::Socket::UNIX;
use MIME::Base64 qw(decode_base64);

my %account = (test1 => 'pass1');

sub escape {
	my ($v) = @_;
	$v =~ s/\001/\0011/g;
	$v =~ s/\t/\001t/g;
	$v =~ s/\r/\001r/g;
	$v =~ s/\n/\001n/g;
	return $v;
}

sub verdict {
	my ($id, $b64) = @_;
	return "FAIL\t$id\tcode=invalid_base64\n"
		if $b64 !~ m{^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$};
	my (undef, $user, $pass) = split /\0/, decode_base64($b64), -1;
	return "FAIL\t$id\n" unless defined $pass;
	return "OK\t$id\tuser=" . escape($user) . "\n"
		if exists $account{$user} && $account{$user} eq $pass;
	return "FAIL\t$id\tuser=" . escape($user) . "\n";
}

sub session {
	my ($in, $out) = @_;
	$out->autoflush(1);
	print $out "VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nSPID\t$$\nCUID\t1\n",
		"COOKIE\t", "0" x 32, "\nDONE\n";
	while (my $line = <$in>) {
		chomp $line;
		my @f = split /\t/, $line, -1;
		if ($f[0] eq 'AUTH' && @f >= 3) {
			my ($resp) = map { /^resp=(.*)$/ ? $1 : () } @f[3 .. $#f];
			if (uc($f[2]) ne 'PLAIN') {
				print $out "FAIL\t$f[1]\treason=unsupported mechanism\n";
			} elsif (!defined $resp) {
				print $out "FAIL\t$f[1]\treason=missing initial response\n";
			} else {
				print $out verdict($f[1], $resp);
			}
		} elsif ($f[0] eq 'CONT' && @f >= 2) {
			print $out "FAIL\t$f[1]\treason=Authentication request timed out\n";
		}
	}
}

my $where = shift // '-';
if ($where eq '-') {
	session(\*STDIN, \*STDOUT);
	exit 0;
}
my $listen;
if ($where =~ /^unix:(.+)$/) {
	unlink $1;
	$listen = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $1, Listen => 16);
} elsif ($where =~ /^inet:(.+):(\d+)$/) {
	$listen = IO::Socket::INET->new(LocalAddr => $1, LocalPort => $2, Listen => 16, ReuseAddr => 1);
}
die "usage: respfirst_authd.pl unix:/path | inet:host:port | -\n" unless $listen;
$SIG{CHLD} = 'IGNORE';
while (my $conn = $listen->accept) {
	my $pid = fork;
	next unless defined $pid;
	if ($pid == 0) {
		close $listen;
		session($conn, $conn);
		exit 0;
	}
	close $conn;
}
