<?php
/**
 * Member tokens made exactly as docs/members.md describes: a JWT signed with HS256, without a library.
 *
 * @package Headcount
 */

defined( 'ABSPATH' ) || exit;

/**
 * Makes the short-lived token that counts a logged-in user as a member.
 */
final class Headcount_Member_Token {

	/** The page uses the token once to connect; reconnects use Headcount's resume ticket. */
	public const LIFETIME_S = 300;

	/**
	 * Base64url without padding (RFC 7515, appendix C).
	 *
	 * @param string $data Bytes to encode.
	 */
	public static function base64url( string $data ): string {
		return rtrim( strtr( base64_encode( $data ), '+/', '-_' ), '=' );
	}

	/**
	 * A signed token for one member of one site.
	 *
	 * @param string $subject The member id Headcount sees (1-256 characters).
	 * @param string $site    The site id, the token's audience.
	 * @param string $secret  The site's memberSecret.
	 * @param int    $now     Seconds since 1970.
	 */
	public static function make( string $subject, string $site, string $secret, int $now ): string {
		$header   = self::base64url( (string) wp_json_encode( array( 'alg' => 'HS256', 'typ' => 'JWT' ) ) );
		$claims   = self::base64url(
			(string) wp_json_encode(
				array(
					'sub' => $subject,
					'aud' => $site,
					'iat' => $now,
					'exp' => $now + self::LIFETIME_S,
				)
			)
		);
		$unsigned = $header . '.' . $claims;
		return $unsigned . '.' . self::base64url( hash_hmac( 'sha256', $unsigned, $secret, true ) );
	}

	/**
	 * The member id of a WordPress user: stable for this install, and not the user id itself.
	 *
	 * @param int $user_id WordPress user id.
	 */
	public static function subject_for( int $user_id ): string {
		$subject = hash_hmac( 'sha256', 'user:' . $user_id, Headcount_Options::member_salt() );
		/**
		 * Filters the member id sent to Headcount, e.g. to use the id your apps already send.
		 *
		 * @param string $subject 64 hexadecimal characters by default.
		 * @param int    $user_id The WordPress user.
		 */
		return (string) apply_filters( 'headcount_member_subject', $subject, $user_id );
	}

	/**
	 * The token for the current user, or null when members are off, the secret is missing or nobody is logged in.
	 */
	public static function for_current_user(): ?string {
		$options = Headcount_Options::all();
		if ( ! $options['members'] || '' === $options['member_secret'] || ! is_user_logged_in() ) {
			return null;
		}
		return self::make( self::subject_for( get_current_user_id() ), $options['site'], $options['member_secret'], time() );
	}
}
