<?php
/**
 * The plugin's settings: one option array, read with defaults, written only through the settings page.
 *
 * @package Headcount
 */

defined( 'ABSPATH' ) || exit;

/**
 * Reads the `headcount_settings` option and the per-install salt.
 */
final class Headcount_Options {

	public const OPTION = 'headcount_settings';
	public const SALT_OPTION = 'headcount_member_salt';
	/** The figures the widget may add to online and lifetime visits, in data-show's order (docs/embed.md). */
	public const FIGURES = array( 'today', 'yesterday', 'month' );
	/** Headcount refuses member secrets and read tokens shorter than this. */
	public const MIN_SECRET_LENGTH = 32;
	public const SITE_ID_PATTERN = '/^[a-z0-9][a-z0-9_-]{0,63}$/';

	/**
	 * Every setting with its default.
	 *
	 * @return array{address: string, site: string, member_secret: string, members: bool, show: string[], read_token: string}
	 */
	public static function defaults(): array {
		return array(
			'address'       => '',
			'site'          => '',
			'member_secret' => '',
			'members'       => true,
			'show'          => array( 'today', 'month' ),
			'read_token'    => '',
		);
	}

	/**
	 * The stored settings, completed with defaults whatever shape the stored option has.
	 *
	 * @return array{address: string, site: string, member_secret: string, members: bool, show: string[], read_token: string}
	 */
	public static function all(): array {
		$stored = get_option( self::OPTION, array() );
		$stored = is_array( $stored ) ? $stored : array();
		$merged = array_merge( self::defaults(), array_intersect_key( $stored, self::defaults() ) );
		return array(
			'address'       => (string) $merged['address'],
			'site'          => (string) $merged['site'],
			'member_secret' => (string) $merged['member_secret'],
			'members'       => (bool) $merged['members'],
			'show'          => array_values( array_intersect( self::FIGURES, (array) $merged['show'] ) ),
			'read_token'    => (string) $merged['read_token'],
		);
	}

	/** Whether the tracker can be added: an address and a site id. */
	public static function configured(): bool {
		$options = self::all();
		return '' !== $options['address'] && '' !== $options['site'];
	}

	/**
	 * A random salt made once per install, so member ids sent to Headcount cannot be mapped back to user ids.
	 */
	public static function member_salt(): string {
		$salt = get_option( self::SALT_OPTION );
		if ( ! is_string( $salt ) || strlen( $salt ) < 32 ) {
			$salt = bin2hex( random_bytes( 32 ) );
			update_option( self::SALT_OPTION, $salt, false );
		}
		return $salt;
	}

	/**
	 * A secret shown without revealing it: its last four characters.
	 *
	 * @param string $secret The stored secret.
	 */
	public static function last_four( string $secret ): string {
		return substr( $secret, -4 );
	}
}
