<?php
// Deletes the plugin the way the Plugins screen does (deactivate, then uninstall_plugin(), which runs
// uninstall.php) and prints which of its options existed before and after, as JSON.
$_SERVER['WORDPRESS_CONFIG'] = getenv( 'HEADCOUNT_WP_CONFIG' );
$_SERVER['HTTP_HOST']        = getenv( 'HEADCOUNT_WP_HOST' );
require '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

$options = static fn() => array(
	'settings' => false !== get_option( 'headcount_settings' ),
	'salt'     => false !== get_option( 'headcount_member_salt' ),
);
$before = $options();
deactivate_plugins( 'headcount/headcount.php' );
uninstall_plugin( 'headcount/headcount.php' );
wp_cache_flush();
echo wp_json_encode( array( 'before' => $before, 'after' => $options() ) );
