<?php
/**
 * The classic "Thống kê truy cập" widget for footers and sidebars.
 *
 * @package Headcount
 */

defined( 'ABSPATH' ) || exit;

/**
 * Shows the live visitor statistics block. Its heading comes from t.js, in the page's language.
 */
final class Headcount_Widget extends WP_Widget {

	public function __construct() {
		parent::__construct(
			'headcount_stats',
			__( 'Visitor statistics', 'headcount' ),
			array(
				'description'                 => __( 'Live visitors online, today and this month, from Headcount.', 'headcount' ),
				'customize_selective_refresh' => true,
			)
		);
	}

	/**
	 * Front-end output.
	 *
	 * @param array $args     Sidebar markup (before_widget, after_widget).
	 * @param array $instance This widget's settings (none).
	 */
	public function widget( $args, $instance ): void {
		echo $args['before_widget'] ?? ''; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- markup from the theme's sidebar.
		echo Headcount_Markup::stats(); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- attributes escaped in stats().
		echo $args['after_widget'] ?? ''; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- markup from the theme's sidebar.
	}

	/**
	 * The widget form: the figures are chosen once for the site, under Settings.
	 *
	 * @param array $instance This widget's settings (none).
	 */
	public function form( $instance ): string {
		printf(
			'<p>%s</p>',
			wp_kses(
				sprintf(
					/* translators: %s: link to the plugin's settings page */
					__( 'Which figures are shown is set under %s.', 'headcount' ),
					sprintf( '<a href="%s">%s</a>', esc_url( admin_url( 'options-general.php?page=headcount' ) ), esc_html__( 'Settings → Headcount', 'headcount' ) )
				),
				array( 'a' => array( 'href' => array() ) )
			)
		);
		return 'noform';
	}
}
