// Editor side of the headcount/stats block: a placeholder, since the figures only exist on the live page.
( function ( blocks, blockEditor, element, i18n ) {
	var el = element.createElement;
	blocks.registerBlockType( 'headcount/stats', {
		edit: function () {
			return el(
				'div',
				blockEditor.useBlockProps( { style: { border: '1px dashed #999', padding: '0.75em 1em' } } ),
				el( 'strong', null, i18n.__( 'Visitor statistics', 'headcount' ) ),
				el( 'p', null, i18n.__( 'Filled with live figures on the published page.', 'headcount' ) )
			);
		},
		save: function () {
			return null;
		},
	} );
} )( window.wp.blocks, window.wp.blockEditor, window.wp.element, window.wp.i18n );
