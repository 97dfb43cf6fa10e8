<?php
// Reads the live API through the plugin, with the address replaced by HEADCOUNT_LIVE_ADDRESS (a stand-in
// live API of the test) and the read token by HEADCOUNT_LIVE_READ_TOKEN when they are set, and prints what
// editors would see as JSON: the readers of the test's post, its Posts list cell and the dashboard widget.
$_SERVER['WORDPRESS_CONFIG'] = getenv( 'HEADCOUNT_WP_CONFIG' );
$_SERVER['HTTP_HOST']        = getenv( 'HEADCOUNT_WP_HOST' );
require '/usr/share/wordpress/wp-load.php';
require_once WP_PLUGIN_DIR . '/headcount/includes/class-headcount-admin-live.php';

add_filter(
	'option_headcount_settings',
	static fn( $settings ) => array_merge(
		$settings,
		array_filter(
			array(
				'address'    => getenv( 'HEADCOUNT_LIVE_ADDRESS' ),
				'read_token' => getenv( 'HEADCOUNT_LIVE_READ_TOKEN' ),
			),
			static fn( $value ) => is_string( $value ) && '' !== $value
		)
	)
);
Headcount_Live::forget();
$post_id = (int) getenv( 'HEADCOUNT_POST_ID' );
$capture = static function ( callable $render ): string {
	ob_start();
	$render();
	return trim( (string) ob_get_clean() );
};
echo wp_json_encode(
	array(
		'readers'   => Headcount_Live::readers_of( (string) get_permalink( $post_id ) ),
		'cell'      => $capture( static fn() => Headcount_Admin_Live::render_column( Headcount_Admin_Live::COLUMN, $post_id ) ),
		'dashboard' => $capture( array( Headcount_Admin_Live::class, 'render_dashboard_widget' ) ),
	)
);
