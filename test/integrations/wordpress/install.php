<?php
// Installs WordPress into the test's database non-interactively with plain permalinks, activates the
// Headcount plugin and configures it, puts the classic widget in the footer and writes an article with
// the block and the readers shortcode. Prints {"postId","postUrl","adminId"} as JSON.
// Environment: HEADCOUNT_WP_CONFIG (the Debian config name), HEADCOUNT_WP_HOST, HEADCOUNT_SETTINGS (JSON).
$_SERVER['WORDPRESS_CONFIG'] = getenv( 'HEADCOUNT_WP_CONFIG' );
$_SERVER['HTTP_HOST']        = getenv( 'HEADCOUNT_WP_HOST' );
define( 'WP_INSTALLING', true );
require '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

$installed = wp_install( 'Báo Thử', 'admin', 'admin@example.invalid', false, '', 'headcount-test-password' );
$admin_id  = (int) $installed['user_id'];
// The front end is Vietnamese (the widget then says "Thống kê truy cập"); wp-admin stays English for the admin.
update_option( 'WPLANG', 'vi' );
update_user_meta( $admin_id, 'locale', 'en_US' );
switch_theme( 'twentytwentyone' );
// Plain permalinks (?p=ID), whatever wp_install() managed to probe: the case the site's pageParams are for.
update_option( 'permalink_structure', '' );

$activated = activate_plugin( 'headcount/headcount.php' );
if ( is_wp_error( $activated ) ) {
	fwrite( STDERR, $activated->get_error_message() . "\n" );
	exit( 1 );
}
update_option( 'headcount_settings', json_decode( getenv( 'HEADCOUNT_SETTINGS' ), true ) );
update_option( 'widget_headcount_stats', array( 2 => array(), '_multiwidget' => 1 ) );
update_option(
	'sidebars_widgets',
	array(
		'wp_inactive_widgets' => array(),
		'sidebar-1'           => array( 'headcount_stats-2' ),
		'array_version'       => 3,
	)
);

$post_id = wp_insert_post(
	array(
		'post_title'   => 'Đà Nẵng đón khách du lịch',
		'post_content' => "<!-- wp:paragraph -->\n<p>Nội dung bài viết. [headcount_readers]</p>\n<!-- /wp:paragraph -->\n\n<!-- wp:headcount/stats /-->",
		'post_status'  => 'publish',
		'post_author'  => $admin_id,
	),
	true
);
if ( is_wp_error( $post_id ) ) {
	fwrite( STDERR, $post_id->get_error_message() . "\n" );
	exit( 1 );
}
echo wp_json_encode(
	array(
		'postId'  => $post_id,
		'postUrl' => get_permalink( $post_id ),
		'adminId' => $admin_id,
	)
);
