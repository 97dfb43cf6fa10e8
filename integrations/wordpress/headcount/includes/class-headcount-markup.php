<?php
/**
 * The elements t.js fills: the footer block and the per-article readers span (docs/embed.md).
 *
 * @package Headcount
 */

defined( 'ABSPATH' ) || exit;

/**
 * Markup shared by the classic widget, the block and the shortcode.
 */
final class Headcount_Markup {

	/**
	 * The attributes of the footer block's element: data-headcount and the figures to add.
	 *
	 * @return array<string, string>
	 */
	public static function stats_attributes(): array {
		$attributes = array( 'data-headcount' => '' );
		$show       = Headcount_Options::all()['show'];
		if ( array() !== $show ) {
			$attributes['data-show'] = implode( ',', $show );
		}
		return $attributes;
	}

	/**
	 * The empty footer block; t.js fills it with live figures.
	 */
	public static function stats(): string {
		$html = '';
		foreach ( self::stats_attributes() as $name => $value ) {
			$html .= '' === $value ? ' ' . $name : sprintf( ' %s="%s"', $name, esc_attr( $value ) );
		}
		return '<div' . $html . '></div>';
	}

	/**
	 * `[headcount_readers]`: the span that shows how many are reading this article now.
	 */
	public static function readers_shortcode(): string {
		return '<span data-headcount-readers></span>';
	}
}
