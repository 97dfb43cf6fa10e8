<?php
/**
 * wp-admin: the "Reading now" column in the Posts and Pages lists, and the dashboard widget.
 *
 * @package Headcount
 */

defined( 'ABSPATH' ) || exit;

/**
 * Shows the live API's readers to editors.
 */
final class Headcount_Admin_Live {

	public const COLUMN = 'headcount_readers';
	private const POST_TYPES = array( 'post', 'page' );
	private const DASHBOARD_ROWS = 10;

	public static function register(): void {
		foreach ( self::POST_TYPES as $type ) {
			add_filter( "manage_{$type}_posts_columns", array( self::class, 'add_column' ) );
			add_action( "manage_{$type}_posts_custom_column", array( self::class, 'render_column' ), 10, 2 );
		}
		add_action( 'wp_dashboard_setup', array( self::class, 'add_dashboard_widget' ) );
		add_action( 'admin_head-edit.php', array( self::class, 'column_style' ) );
	}

	/**
	 * Adds the column after the title.
	 *
	 * @param array<string, string> $columns Column ids and headers.
	 * @return array<string, string>
	 */
	public static function add_column( array $columns ): array {
		$result = array();
		foreach ( $columns as $id => $header ) {
			$result[ $id ] = $header;
			if ( 'title' === $id ) {
				$result[ self::COLUMN ] = __( 'Reading now', 'headcount' );
			}
		}
		if ( ! isset( $result[ self::COLUMN ] ) ) {
			$result[ self::COLUMN ] = __( 'Reading now', 'headcount' );
		}
		return $result;
	}

	/**
	 * One cell: the number of readers, or "—" when it is not known.
	 *
	 * @param string $column  Column id.
	 * @param int    $post_id Row's post.
	 */
	public static function render_column( string $column, int $post_id ): void {
		if ( self::COLUMN !== $column ) {
			return;
		}
		$readers = 'publish' === get_post_status( $post_id ) ? Headcount_Live::readers_of( (string) get_permalink( $post_id ) ) : null;
		if ( null === $readers ) {
			$live = Headcount_Live::read();
			printf( '<span aria-hidden="true" title="%s">—</span><span class="screen-reader-text">%s</span>', esc_attr( $live['reason'] ), esc_html__( 'Not known', 'headcount' ) );
			return;
		}
		echo esc_html( number_format_i18n( $readers ) );
	}

	public static function column_style(): void {
		echo '<style>.widefat .column-' . esc_attr( self::COLUMN ) . '{width:7em;text-align:right}</style>';
	}

	public static function add_dashboard_widget(): void {
		if ( ! current_user_can( 'edit_posts' ) ) {
			return;
		}
		wp_add_dashboard_widget( 'headcount_dashboard', __( 'Reading now', 'headcount' ), array( self::class, 'render_dashboard_widget' ) );
	}

	public static function render_dashboard_widget(): void {
		$live = Headcount_Live::read();
		if ( ! $live['ok'] ) {
			/* translators: %s: the reason, e.g. "the Headcount server did not answer." */
			printf( '<p class="headcount-unavailable">%s</p>', esc_html( sprintf( __( 'Live figures are not available: %s', 'headcount' ), $live['reason'] ) ) );
			return;
		}
		if ( null !== $live['online'] ) {
			/* translators: %s: number of visitors online */
			printf( '<p>%s</p>', esc_html( sprintf( __( '%s online now', 'headcount' ), number_format_i18n( $live['online'] ) ) ) );
		}
		$pages = array_slice( $live['pages'], 0, self::DASHBOARD_ROWS );
		if ( array() === $pages ) {
			printf( '<p>%s</p>', esc_html__( 'Nobody is reading right now.', 'headcount' ) );
			return;
		}
		echo '<table class="widefat striped"><thead><tr>';
		printf( '<th scope="col">%s</th><th scope="col" style="text-align:right">%s</th>', esc_html__( 'Article', 'headcount' ), esc_html__( 'Readers', 'headcount' ) );
		echo '</tr></thead><tbody>';
		foreach ( $pages as $page ) {
			printf(
				'<tr><td><a href="%s">%s</a></td><td style="text-align:right">%s</td></tr>',
				esc_url( $page['url'] ),
				esc_html( '' !== $page['title'] ? $page['title'] : $page['url'] ),
				esc_html( number_format_i18n( $page['readers'] ) )
			);
		}
		echo '</tbody></table>';
	}
}
