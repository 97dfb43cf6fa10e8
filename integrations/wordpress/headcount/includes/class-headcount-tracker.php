<?php
/**
 * Adds t.js to every front-end page, with a member token only in pages no cache may keep.
 *
 * @package Headcount
 */

defined( 'ABSPATH' ) || exit;

/**
 * Prints the tracker's script tag in the footer.
 */
final class Headcount_Tracker {

	/** The token of this request, made once in template_redirect so headers and markup agree. */
	private static ?string $token = null;

	public static function register(): void {
		add_action( 'template_redirect', array( self::class, 'prepare' ) );
		add_action( 'wp_footer', array( self::class, 'print_script' ) );
	}

	/**
	 * Makes the member token for a logged-in user and marks the page as not cacheable, before any output.
	 */
	public static function prepare(): void {
		if ( ! Headcount_Options::configured() ) {
			return;
		}
		self::$token = Headcount_Member_Token::for_current_user();
		if ( null === self::$token ) {
			return;
		}
		// A page with a token belongs to one user: no shared cache, browser or page-cache plugin may keep it.
		nocache_headers();
		if ( ! defined( 'DONOTCACHEPAGE' ) ) {
			define( 'DONOTCACHEPAGE', true );
		}
	}

	/**
	 * The tracker's URL: t.js under the configured address.
	 */
	public static function script_url(): string {
		return untrailingslashit( Headcount_Options::all()['address'] ) . '/t.js';
	}

	public static function print_script(): void {
		if ( ! Headcount_Options::configured() ) {
			return;
		}
		$attributes = array(
			'src'       => self::script_url(),
			'async'     => true,
			'data-site' => Headcount_Options::all()['site'],
		);
		if ( null !== self::$token ) {
			$attributes['data-member-token'] = self::$token;
		}
		wp_print_script_tag( $attributes );
	}
}
