<?php
// Loads the plugin's text domain in Vietnamese the way WordPress does (load_plugin_textdomain from
// the plugin's languages folder) and prints a few translated strings as JSON.
$_SERVER['WORDPRESS_CONFIG'] = getenv( 'HEADCOUNT_WP_CONFIG' );
$_SERVER['HTTP_HOST']        = getenv( 'HEADCOUNT_WP_HOST' );
require '/usr/share/wordpress/wp-load.php';

unload_textdomain( 'headcount' );
add_filter( 'plugin_locale', static fn() => 'vi' );
load_plugin_textdomain( 'headcount', false, 'headcount/languages' );
echo wp_json_encode(
	array(
		'readingNow' => __( 'Reading now', 'headcount' ),
		'widget'     => __( 'Visitor statistics', 'headcount' ),
		'blockTitle' => _x( 'Visitor statistics', 'block title', 'headcount' ),
		'yesterday'  => __( 'Visits yesterday', 'headcount' ),
	)
);
