<?php
/**
 * Plugin Name:       Headcount
 * Description:       Live visitor counter for news sites: adds the Headcount tracker to every page, counts logged-in users as members, shows the "Thống kê truy cập" footer block and who is reading each post now.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.1
 * Author:            Headcount
 * License:           MIT
 * Text Domain:       headcount
 * Domain Path:       /languages
 *
 * @package Headcount
 */

defined( 'ABSPATH' ) || exit;

define( 'HEADCOUNT_VERSION', '0.1.0' );
define( 'HEADCOUNT_FILE', __FILE__ );
define( 'HEADCOUNT_DIR', __DIR__ );

require_once HEADCOUNT_DIR . '/includes/class-headcount-options.php';
require_once HEADCOUNT_DIR . '/includes/class-headcount-member-token.php';
require_once HEADCOUNT_DIR . '/includes/class-headcount-tracker.php';
require_once HEADCOUNT_DIR . '/includes/class-headcount-markup.php';
require_once HEADCOUNT_DIR . '/includes/class-headcount-widget.php';
require_once HEADCOUNT_DIR . '/includes/class-headcount-live.php';

// Priority 0: widgets_init runs on init at priority 1, and the widget's name is translated there.
add_action(
	'init',
	static function () {
		load_plugin_textdomain( 'headcount', false, dirname( plugin_basename( HEADCOUNT_FILE ) ) . '/languages' );
	},
	0
);
add_action(
	'init',
	static function () {
		register_block_type( HEADCOUNT_DIR . '/blocks/stats' );
		add_shortcode( 'headcount_readers', array( 'Headcount_Markup', 'readers_shortcode' ) );
	}
);
add_action(
	'widgets_init',
	static function () {
		register_widget( 'Headcount_Widget' );
	}
);

Headcount_Tracker::register();

if ( is_admin() ) {
	require_once HEADCOUNT_DIR . '/includes/class-headcount-settings-page.php';
	require_once HEADCOUNT_DIR . '/includes/class-headcount-admin-live.php';
	Headcount_Settings_Page::register();
	Headcount_Admin_Live::register();
}
