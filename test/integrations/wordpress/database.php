<?php
// Creates or drops the test's database on the machine's MariaDB, as root without a password
// (the socket first, then 127.0.0.1:3306). Usage: php database.php create|drop NAME, or probe.
mysqli_report( MYSQLI_REPORT_OFF );
[ , $action, $name ] = $argv + array( '', '', '' );
if ( 'probe' !== $action && ( ! in_array( $action, array( 'create', 'drop' ), true ) || ! preg_match( '/^[a-z0-9_]{1,64}$/', $name ) ) ) {
	fwrite( STDERR, "usage: php database.php create|drop NAME, or probe\n" );
	exit( 2 );
}
$db = @mysqli_connect( 'localhost', 'root', '' ) ?: @mysqli_connect( '127.0.0.1', 'root', '', '', 3306 );
if ( ! $db ) {
	fwrite( STDERR, 'cannot connect to MariaDB as root without a password: ' . mysqli_connect_error() . "\n" );
	exit( 3 );
}
if ( 'probe' === $action ) {
	exit( 0 );
}
$sql = 'create' === $action
	? "CREATE DATABASE `$name` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
	: "DROP DATABASE IF EXISTS `$name`";
if ( ! mysqli_query( $db, $sql ) ) {
	fwrite( STDERR, mysqli_error( $db ) . "\n" );
	exit( 4 );
}
echo mysqli_get_host_info( $db ), "\n";
